"""The one place that turns a Redis URL of the settings into a client, or into Celery options.

A URL is a single Redis (``redis://``, ``rediss://``, ``unix://``) or a Sentinel-managed
master (``sentinel://:password@host1:26379/0;sentinel://host2:26379/0;...``, Celery's form:
the Sentinels to ask, the master's password and database in the first one), named by
``TARJAMA_REDIS_SENTINEL_MASTER``. A Sentinel client asks the Sentinels for the master on
every new connection, so after a failover it reconnects to the promoted replica by itself;
a command that meets no master retries for ``TARJAMA_REDIS_FAILOVER_WAIT`` seconds (the
time Sentinel takes to notice and promote) before it fails. Against a single Redis a command
fails within seconds, as there is nothing to wait for.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MasterDownError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

from tarjama.worker.redis_url import SentinelTarget, is_sentinel

if TYPE_CHECKING:
    from tarjama.worker.settings import Settings

#: tarjama's own connections (the broker's are alike: worker/app.py). A command on a
#: connection to a master that vanished without a word (a partition) errs after 10 s and
#: is retried on the master Sentinel names then.
SOCKET_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 5.0,
    "socket_timeout": 10.0,
    "socket_keepalive": True,
    "health_check_interval": 25,
}
#: The backoff of a command waiting for a new master: 0.05 s, doubling, at most this.
_RETRY_BASE_S = 0.05
_RETRY_CAP_S = 1.0


def cannot_write(exc: BaseException) -> bool:
    """Whether a Redis error means "no master takes writes right now" (worth waiting out):
    unreachable, timed out, failing over (a demoted master is read-only), or fewer replicas
    than its ``min-replicas-to-write``."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | ReadOnlyError | MasterDownError):
        return True
    return isinstance(exc, ResponseError) and str(exc).startswith("NOREPLICAS")


class MasterFollowingConnection(SentinelManagedConnection):
    """A connection to the Sentinel-managed master that asks Sentinel where it is on every
    reconnect, retries included.

    redis-py 8 reconnects a dropped connection to the address it had when a command is
    retried (``send_packed_command`` calls ``connect_check_health``, not ``connect``:
    redis/redis-py#3874), so after a failover the retries of a command keep reaching the
    old master, now a read-only replica, until they are used up.
    """

    def connect_check_health(
        self, check_health: bool = True, retry_socket_connect: bool = True
    ) -> None:
        if self._sock is None and self.connection_pool.is_master:
            self.host, self.port = self.connection_pool.get_master_address()
        super().connect_check_health(
            check_health=check_health, retry_socket_connect=retry_socket_connect
        )


def close_client(client: Redis) -> None:
    """Close a client's connections, and those to the Sentinels if it follows a master
    (redis-py leaves them open: the Sentinel object is not the client's to close)."""
    client.connection_pool.disconnect()
    manager = getattr(client.connection_pool, "sentinel_manager", None)
    if isinstance(manager, Sentinel):
        manager.close()


class SentinelMasterClient(Redis):
    """The master's client; closing it also closes its connections to the Sentinels."""

    def close(self) -> None:
        super().close()
        close_client(self)


def failover_retry(wait_s: float) -> Retry:
    """Retries that span ``wait_s`` seconds: 0.05, 0.1, 0.2, ... then once a second."""
    ramp = 0
    spent = 0.0
    while _RETRY_BASE_S * 2**ramp < _RETRY_CAP_S:
        spent += _RETRY_BASE_S * 2**ramp
        ramp += 1
    retries = ramp + max(0, math.ceil((wait_s - spent) / _RETRY_CAP_S))
    return Retry(ExponentialBackoff(cap=_RETRY_CAP_S, base=_RETRY_BASE_S), retries)


def _sentinel_kwargs(settings: Settings) -> dict[str, Any]:
    """How to talk to the Sentinels themselves (their own password, if they have one)."""
    options: dict[str, Any] = {
        "socket_connect_timeout": SOCKET_OPTIONS["socket_connect_timeout"],
        "socket_timeout": SOCKET_OPTIONS["socket_connect_timeout"],
    }
    if settings.redis_sentinel_password is not None:
        options["password"] = settings.redis_sentinel_password.get_secret_value()
    return options


def redis_client(settings: Settings, url: str | None = None) -> Redis:
    """A client of ``url`` (default: the result store, where tarjama keeps its own keys).

    Every Redis connection tarjama opens itself comes from here (Celery's broker and result
    backend get the same options from :func:`celery_options`).
    """
    url = url or settings.results
    if not is_sentinel(url):
        return Redis.from_url(url, **SOCKET_OPTIONS)
    target = SentinelTarget.parse(url)
    master = settings.redis_sentinel_master
    if master is None:  # Settings refuses this at start-up; a guard for direct callers
        raise ValueError("a sentinel:// URL needs TARJAMA_REDIS_SENTINEL_MASTER")
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.sentinels), sentinel_kwargs=_sentinel_kwargs(settings)
    )
    client: Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        master,
        redis_class=SentinelMasterClient,
        db=target.db,
        username=target.username,
        password=target.password,
        retry=failover_retry(settings.redis_failover_wait),
        connection_class=MasterFollowingConnection,
        **SOCKET_OPTIONS,
    )
    return client


def celery_options(settings: Settings) -> dict[str, Any]:
    """What Celery needs on top of its own config to follow a Sentinel-managed master.

    Broker (kombu's ``sentinel://`` transport) and result backend (Celery's SentinelBackend)
    take the master's name and the Sentinels' own options from their transport options;
    publishing and storing a result retry long enough to span a failover.
    """
    options: dict[str, Any] = {}
    sentinel = {
        "master_name": settings.redis_sentinel_master,
        "sentinel_kwargs": _sentinel_kwargs(settings),
    }
    wait = settings.redis_failover_wait
    if is_sentinel(settings.broker):
        options["broker_transport_options"] = sentinel
        # a producer waits out a failover instead of failing the submit (1 s apart)
        options["task_publish_retry_policy"] = {
            "max_retries": math.ceil(wait),
            "interval_start": 0,
            "interval_step": 0.25,
            "interval_max": 1.0,
        }
    if is_sentinel(settings.results):
        options["result_backend_transport_options"] = sentinel
        # storing a state or result: Celery's backoff (full jitter, 10 ms doubling, capped
        # at 2 s) is about 1 s per retry on average once capped
        options["result_backend_max_sleep_between_retries_ms"] = 2000
        options["result_backend_max_retries"] = 8 + math.ceil(wait)
    return options
