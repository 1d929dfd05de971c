"""Start, watch and stop ``tarjama worker`` and ``tarjama intake`` processes (the demo, tests
and benchmarks use them)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError


class WorkerProcess:
    """A real ``tarjama worker`` in its own process group, with its log in a file."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        name: str = "tarjama",
        args: tuple[str, ...] = (),
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.name = name
        self.nodename = f"{name}@{socket.gethostname()}"
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "tarjama.worker.cli", "worker", f"--hostname={self.nodename}"]

    def start(self) -> Self:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self.command(), *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, "worker not started"
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        """PIDs of the pool processes (prefork children)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def wait_ready(self, app: Any, timeout: float = 120.0) -> None:
        """Until the worker answers a remote-control ping (it consumes from then on).

        A broker that cannot be reached (yet, or again: a pooled connection that a Redis
        failover closed) counts as no answer.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"worker exited at start; log:\n{self.log_tail()}")
            try:
                if app.control.ping(destination=[self.nodename], timeout=0.5):
                    return
            except (OperationalError, RedisError, OSError):
                time.sleep(0.2)
        raise TimeoutError(f"worker not ready after {timeout}s; log:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def wait(self, timeout: float) -> int:
        """Its exit status, once it has exited (``subprocess.TimeoutExpired`` if not in time)."""
        assert self.proc is not None, "not started"
        return self.proc.wait(timeout=timeout)

    def signal(self, signum: int) -> None:
        if self.alive:
            os.kill(self.pid, signum)

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM (Celery's warm shutdown), then SIGKILL the group if it lingers."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # children that outlived their parent
        return self.proc.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class IntakeProcess(WorkerProcess):
    """A real ``tarjama intake``; ``name`` is its consumer name (stable across restarts)."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "tarjama.worker.cli", "intake", f"--consumer={self.name}"]
