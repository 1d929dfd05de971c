"""The producer side: submit articles, read results. Imports no torch and no transformers.

from tasks.client import TarjamaClient

client = TarjamaClient()                      # settings from TARJAMA_* env vars
job_id = client.submit({"text": arabic, "title": title})
status = client.wait(job_id, timeout=600)     # JobStatus
status.result["summary"]["text"] if status.ok else status.error["code"]
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from celery import states
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from worker.app import TarjamaApp, create_app
from worker.errors import CELERY_FAILURE_CODES, JobFailed
from worker.jobs import TASK_NAMES, JobKind, job_id_for, short_summary
from worker.results import JobLedger
from worker.settings import Settings

PROGRESS = "PROGRESS"
_PRIORITY = {"urgent": 0, "normal": 5, "bulk": 9}


class SubmitError(RuntimeError):
    """The job could not be enqueued (Redis unreachable): nothing was queued."""


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    state: str  # PENDING (unknown or queued), STARTED, PROGRESS, RETRY, SUCCESS, FAILURE
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    progress: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return bool(self.state in states.READY_STATES)

    @property
    def ok(self) -> bool:
        return bool(self.state == states.SUCCESS)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def describe_failure(exc: Any) -> dict[str, str]:
    """The machine-readable code and the message of a stored failure."""
    if isinstance(exc, JobFailed):
        return {"code": exc.code, "message": exc.message}
    name = type(exc).__name__
    return {"code": CELERY_FAILURE_CODES.get(name, "internal_error"), "message": f"{name}: {exc}"}


class TarjamaClient:
    def __init__(self, settings: Settings | None = None, *, app: TarjamaApp | None = None) -> None:
        self.app = app or create_app(settings)
        self.settings = self.app.settings

    @property
    def ledger(self) -> JobLedger:
        return JobLedger(self.app.backend.client, self.settings.result_ttl)

    def submit(
        self,
        job: Mapping[str, Any] | str,
        *,
        kind: JobKind = "article",
        job_id: str | None = None,
        force: bool = False,
    ) -> str:
        """Enqueue a job and return its id at once.

        The id is derived from the content and options unless given. If that job already
        succeeded, or is queued or running, nothing is sent again (``force`` sends anyway);
        a job that failed is sent again.
        """
        payload: Any = {"text": job} if isinstance(job, str) else dict(job)
        job_id = job_id or job_id_for(kind, payload)
        try:
            current = self.status(job_id).state
            if current == states.SUCCESS and not force:
                return job_id
            first = self.ledger.mark_submitted(job_id)
            if not (first or force or current == states.FAILURE):
                return job_id  # queued or running already
            if current == states.FAILURE:
                self.app.backend.forget(job_id)
            priority = payload.get("priority", "normal") if isinstance(payload, dict) else None
            self.app.send_task(
                TASK_NAMES[kind],
                args=[payload],
                task_id=job_id,
                argsrepr=f"({short_summary(payload)},)",
                kwargsrepr="{}",
                priority=_PRIORITY.get(priority or "normal", 5),
            )
        except (OperationalError, RedisError, OSError) as exc:
            raise SubmitError(
                f"could not enqueue job {job_id}: Redis at {self.settings.broker} is "
                f"unreachable ({exc}); nothing was queued, submit again later"
            ) from exc
        return job_id

    def status(self, job_id: str) -> JobStatus:
        meta = self.app.backend.get_task_meta(job_id)
        state = str(meta.get("status", states.PENDING))
        info = meta.get("result")
        if state == states.SUCCESS:
            return JobStatus(job_id, state, result=dict(info))
        if state == states.FAILURE:
            return JobStatus(job_id, state, error=describe_failure(info))
        if state == PROGRESS and isinstance(info, dict):
            return JobStatus(job_id, state, progress=dict(info))
        return JobStatus(job_id, state)

    def wait(self, job_id: str, timeout: float | None = None, poll: float = 0.25) -> JobStatus:
        """Block until the job is stored as done; raise TimeoutError after ``timeout`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status(job_id)
            if status.done:
                return status
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} not done after {timeout}s (state {status.state})")
            time.sleep(poll)

    def close(self) -> None:
        self.app.close()


def submit(job: Mapping[str, Any] | str, **kwargs: Any) -> str:
    """Submit with settings from the environment (a convenience for scripts)."""
    return TarjamaClient().submit(job, **kwargs)


def result(job_id: str) -> JobStatus:
    return TarjamaClient().status(job_id)


def wait(job_id: str, timeout: float | None = None) -> JobStatus:
    return TarjamaClient().wait(job_id, timeout)
