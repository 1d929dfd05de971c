"""A real Sentinel-managed Redis for the failover tests: a master, a replica and three
Sentinels, all the same ``redis-server`` binary (``--sentinel`` mode), on free loopback ports.

The master and the replica have a password; so do the Sentinels (their own), so both
passwords of a ``sentinel://`` deployment are exercised. Sentinel is tuned to fail over in
about a second (``down-after-milliseconds`` 1000), and :meth:`SentinelCluster.watch` says
when it has switched (its ``+switch-master`` event), so tests wait on events, not sleeps.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from tarjama.worker.embedded import EmbeddedRedis, find_redis_server, free_port

MASTER_NAME = "tarjama-test"
REDIS_PASSWORD = "master-secret"
SENTINEL_PASSWORD = "sentinel-secret"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 10_000


class SentinelProcess:
    """One ``redis-server --sentinel`` with its own config file (Sentinel rewrites it)."""

    def __init__(self, workdir: Path, master_port: int) -> None:
        self.port = free_port()
        self.config = workdir / f"sentinel-{self.port}.conf"
        self.config.write_text(
            "\n".join(
                [
                    f"port {self.port}",
                    "bind 127.0.0.1",
                    "daemonize no",
                    f"dir {workdir}",
                    f"requirepass {SENTINEL_PASSWORD}",
                    f"sentinel sentinel-pass {SENTINEL_PASSWORD}",
                    f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2",
                    f"sentinel auth-pass {MASTER_NAME} {REDIS_PASSWORD}",
                    f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
                    f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}",
                    f"sentinel parallel-syncs {MASTER_NAME} 1",
                    "",
                ]
            )
        )
        self.log = workdir / f"sentinel-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SentinelProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [find_redis_server(), str(self.config), "--sentinel"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def client(self) -> Redis:
        return Redis("127.0.0.1", self.port, password=SENTINEL_PASSWORD, socket_connect_timeout=2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class SentinelCluster:
    """``with SentinelCluster() as cluster: cluster.url``; ``cluster.kill_master()``."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="tarjama-sentinel-")
        self.workdir = Path(self._dir.name)
        auth = ("--requirepass", REDIS_PASSWORD, "--masterauth", REDIS_PASSWORD)
        self.master = EmbeddedRedis(extra_args=auth)
        self.replica = EmbeddedRedis(
            extra_args=(*auth, "--replicaof", "127.0.0.1", str(self.master.port))
        )
        self.sentinels = [SentinelProcess(self.workdir, self.master.port) for _ in range(3)]

    @property
    def url(self) -> str:
        """Celery's Sentinel form: every Sentinel, the master's password and database."""
        return ";".join(
            f"sentinel://:{REDIS_PASSWORD}@127.0.0.1:{s.port}/0" for s in self.sentinels
        )

    def env(self) -> dict[str, str]:
        return {
            "TARJAMA_REDIS_URL": self.url,
            "TARJAMA_REDIS_SENTINEL_MASTER": MASTER_NAME,
            "TARJAMA_REDIS_SENTINEL_PASSWORD": SENTINEL_PASSWORD,
        }

    def start(self, timeout: float = 30.0) -> SentinelCluster:
        self.master.start()
        self.replica.start()
        for sentinel in self.sentinels:
            sentinel.start()
        deadline = time.monotonic() + timeout
        while not self._ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"Sentinels not ready in {timeout}s: {self.describe()}")
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        """The replica is in sync and every Sentinel knows the replica and its two peers."""
        try:
            with self.redis(self.master.port) as master:
                info = master.info("replication")
            if info.get("slave0", {}).get("state") != "online":
                return False
            for sentinel in self.sentinels:
                with sentinel.client() as client:
                    state = client.sentinel_master(MASTER_NAME)
                if state["num-slaves"] < 1 or state["num-other-sentinels"] < 2:
                    return False
        except (RedisError, OSError, KeyError):  # still starting
            return False
        return True

    def describe(self) -> str:
        lines = []
        for sentinel in self.sentinels:
            with contextlib.suppress(Exception), sentinel.client() as client:
                lines.append(f"{sentinel.port}: {client.sentinel_master(MASTER_NAME)}")
        return "\n".join(lines) or "(no Sentinel answers)"

    @staticmethod
    def redis(port: int) -> Redis:
        return Redis("127.0.0.1", port, password=REDIS_PASSWORD, socket_connect_timeout=2)

    def master_port(self) -> int:
        """The master's port, as the first Sentinel that answers sees it."""
        for sentinel in self.sentinels:
            with contextlib.suppress(Exception), sentinel.client() as client:
                return int(client.sentinel_get_master_addr_by_name(MASTER_NAME)[1])
        raise RuntimeError("no Sentinel answers")

    def watch(self) -> SentinelEvents:
        """Subscribe to a Sentinel's events now, before causing a failover."""
        return SentinelEvents(self.sentinels[0].client())

    def wait_replica(self, port: int, timeout: float) -> None:
        """Until the Redis on ``port`` is a replica (Sentinel demotes an old master that is
        still alive about ten seconds after a failover, and drops its clients)."""
        deadline = time.monotonic() + timeout
        with self.redis(port) as server:
            while server.info("replication")["role"] != "slave":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"127.0.0.1:{port} still a master after {timeout}s")
                time.sleep(0.1)

    def kill_master(self) -> EmbeddedRedis:
        """SIGKILL the current master: no shutdown, no last writes flushed to the replica."""
        port = self.master_port()
        server = next(s for s in (self.master, self.replica) if s.port == port)
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        return server

    def planned_failover(self) -> None:
        """``SENTINEL FAILOVER``: promote the replica without the master dying."""
        with self.sentinels[0].client() as client:
            client.execute_command("SENTINEL", "FAILOVER", MASTER_NAME)

    def close(self) -> None:
        for sentinel in self.sentinels:
            sentinel.stop()
        self.replica.close()
        self.master.close()
        self._dir.cleanup()

    def __enter__(self) -> SentinelCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SentinelEvents:
    """A Sentinel's ``+switch-master`` announcements, subscribed before a failover."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.pubsub = client.pubsub()  # type: ignore[no-untyped-call]
        self.pubsub.subscribe("+switch-master")
        self.pubsub.get_message(timeout=5)  # the subscription's confirmation

    def switched(self, timeout: float) -> tuple[str, int]:
        """The new master's (host, port), once Sentinel has switched to it."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message: Any = self.pubsub.get_message(timeout=left)
            if message and message["type"] == "message":
                # "<master name> <old ip> <old port> <new ip> <new port>"
                name, _, _, host, port = message["data"].decode().split()
                if name == MASTER_NAME:
                    return host, int(port)
        raise TimeoutError(f"no +switch-master in {timeout}s")

    def close(self) -> None:
        self.pubsub.close()
        self.client.close()
