"""``tarjama failover``: a planned switch of the Redis master that loses no write.

``SENTINEL FAILOVER`` alone promotes a replica while the old master goes on accepting
writes from every client still connected to it, until Sentinel makes it a replica about
ten seconds later and those writes are thrown away (Redis 7; redis/redis#13118). tarjama's
workers and intake redo what they wrote there (the jobs are still queued on the new
master), but a producer's submission written there is lost. So this switch:

1. pauses writes on the master (``CLIENT PAUSE WRITE``): writers wait, nothing new lands;
2. waits until every replica has every write (its offset reaches the master's);
3. runs ``SENTINEL FAILOVER`` and waits for Sentinel's ``+switch-master``;
4. makes the old master a replica of the new one and drops its clients, as Sentinel would
   ten seconds later: their paused commands never ran, they reconnect through Sentinel
   and send them to the new master;
5. lifts the pause.

If it fails before step 3 the pause is lifted and the master stays; the pause also ends
by itself after :data:`PAUSE_MS`, should this process die.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.exceptions import RedisError

from tarjama.worker.connections import SOCKET_OPTIONS
from tarjama.worker.errors import ConfigurationError, FailoverFailed
from tarjama.worker.redis_url import SentinelTarget, is_sentinel

if TYPE_CHECKING:
    from tarjama.worker.settings import Settings

log = logging.getLogger(__name__)

#: Writes stay paused at most this long, even if this process dies mid-switch.
PAUSE_MS = 20_000
CATCH_UP_S = 5.0
SWITCH_S = 15.0


@dataclass(frozen=True)
class Switch:
    """One switch done: the old and the new master, and how long writes were paused."""

    old: tuple[str, int]
    new: tuple[str, int]
    paused_s: float


def planned_failover(settings: Settings) -> list[Switch]:
    """Switch the master of each Sentinel-managed Redis the settings name (usually one)."""
    urls = [u for u in dict.fromkeys((settings.broker, settings.results)) if is_sentinel(u)]
    if not urls:
        raise ConfigurationError(
            "tarjama failover switches a Sentinel-managed master: TARJAMA_REDIS_URL (or the "
            "broker or result URL) must be a sentinel:// URL"
        )
    return [switch(settings, url) for url in urls]


def switch(settings: Settings, url: str) -> Switch:
    """The lossless switch of the master behind one sentinel:// URL (steps above)."""
    target = SentinelTarget.parse(url)
    name = settings.redis_sentinel_master
    if name is None:  # Settings refuses a sentinel:// URL without it
        raise ConfigurationError("TARJAMA_REDIS_SENTINEL_MASTER is not set")
    sentinel = _first_answering(target, settings)
    watch = sentinel.pubsub()  # type: ignore[no-untyped-call]
    master: Redis | None = None
    try:
        watch.subscribe("+switch-master")
        old = _master_address(sentinel, name)
        master = Redis(
            *old,
            username=target.username,
            password=target.password,
            socket_connect_timeout=SOCKET_OPTIONS["socket_connect_timeout"],
        )
        master.client_pause(PAUSE_MS, all=False)  # WRITE: readers go on
        paused_at = time.monotonic()
        try:
            _wait_caught_up(master)
            sentinel.sentinel_failover(name)
            new = _wait_switch(watch, name) or _master_address(sentinel, name)
            if new == old:
                raise FailoverFailed(f"Sentinel did not switch {name} in {SWITCH_S:.0f}s")
        except (RedisError, FailoverFailed):
            master.client_unpause()  # the old master stays: let it work
            raise
        # as Sentinel would, later: the old master follows the new one; its clients,
        # whose paused writes never ran, reconnect through Sentinel
        master.replicaof(*new)
        master.client_kill_filter(_type="normal")
        master.client_kill_filter(_type="pubsub")
        master.client_unpause()
        done = Switch(old, new, time.monotonic() - paused_at)
        log.info("switched %s from %s:%s to %s:%s", name, *old, *new)
        return done
    except RedisError as exc:
        raise FailoverFailed(f"switching {name}: {exc}") from exc
    finally:
        with contextlib.suppress(RedisError):
            watch.close()
        if master is not None:
            master.close()
        sentinel.close()


def _first_answering(target: SentinelTarget, settings: Settings) -> Redis:
    password = settings.redis_sentinel_password
    problems = []
    for host, port in target.sentinels:
        client = Redis(
            host,
            port,
            password=password.get_secret_value() if password else None,
            socket_connect_timeout=SOCKET_OPTIONS["socket_connect_timeout"],
            socket_timeout=SWITCH_S + 5,
        )
        try:
            client.ping()
        except RedisError as exc:
            problems.append(f"{host}:{port}: {exc}")
            client.close()
            continue
        return client
    raise FailoverFailed("no Sentinel answers: " + "; ".join(problems))


def _master_address(sentinel: Redis, name: str) -> tuple[str, int]:
    address: Any = sentinel.sentinel_get_master_addr_by_name(name)
    if not isinstance(address, tuple | list) or len(address) != 2:
        raise FailoverFailed(f"the Sentinels know no master named {name!r}")
    host, port = address
    return (host.decode() if isinstance(host, bytes) else str(host)), int(port)


def _offsets(master: Redis) -> tuple[int, list[int]]:
    info: dict[str, Any] = master.info("replication")
    replicas = [
        int(value["offset"])
        for key, value in info.items()
        if key.startswith("slave") and isinstance(value, dict) and value.get("state") == "online"
    ]
    return int(info["master_repl_offset"]), replicas


def _wait_caught_up(master: Redis) -> None:
    """Until every online replica has every write (writes are paused: the offset is final)."""
    deadline = time.monotonic() + CATCH_UP_S
    while True:
        offset, replicas = _offsets(master)
        if not replicas:
            raise FailoverFailed("the master has no replica online: nothing to switch to")
        if min(replicas) >= offset:
            return
        if time.monotonic() > deadline:
            raise FailoverFailed(f"replicas did not catch up in {CATCH_UP_S:.0f}s")
        time.sleep(0.01)


def _wait_switch(watch: Any, name: str) -> tuple[str, int] | None:
    """The new master from Sentinel's ``+switch-master``; None if none came in time."""
    deadline = time.monotonic() + SWITCH_S
    while (left := deadline - time.monotonic()) > 0:
        message = watch.get_message(timeout=left)
        if message and message["type"] == "message":
            # "<master name> <old ip> <old port> <new ip> <new port>"
            parts = message["data"].decode().split()
            if parts[0] == name:
                return parts[3], int(parts[4])
    return None
