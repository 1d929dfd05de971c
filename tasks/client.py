"""The producer side: submit articles, read results. Imports no torch and no transformers.

from tarjama.tasks.client import TarjamaClient

client = TarjamaClient()                      # settings from TARJAMA_* env vars
job_id = client.submit({"text": arabic, "title": title})
status = client.wait(job_id, timeout=600)     # JobStatus
status.result["summary"]["text"] if status.ok else status.error["code"]
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Literal

from celery import states
from celery.exceptions import BackendError
from kombu.exceptions import OperationalError
from kombu.utils.url import maybe_sanitize_url
from redis.exceptions import RedisError

from tarjama.worker.app import TarjamaApp, create_app
from tarjama.worker.errors import JobFailed, failure_code
from tarjama.worker.jobs import job_id_for, short_summary
from tarjama.worker.priorities import route
from tarjama.worker.results import JobLedger
from tarjama.worker.settings import Settings
from tarjama.worker.stages import KINDS, JobKind

log = logging.getLogger(__name__)
PROGRESS = "PROGRESS"


class SubmitError(RuntimeError):
    """The job could not be enqueued (Redis unreachable): nothing was queued."""


@dataclass(frozen=True)
class Submission:
    """What :meth:`TarjamaClient.enqueue` did with a job.

    ``outcome``: ``sent`` (this call put it on the queue), ``done`` (it had succeeded: the
    stored result stands), ``queued`` (it is on the queue or running: not sent again) or
    ``sending`` (another submitter has claimed it and not yet confirmed the send; if that
    one died, the claim lapses after ``SUBMIT_LEASE_S`` seconds: submit again then).
    """

    job_id: str
    outcome: Literal["sent", "done", "queued", "sending"]


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
    return {"code": failure_code(exc), "message": f"{type(exc).__name__}: {exc}"}


class TarjamaClient:
    def __init__(self, settings: Settings | None = None, *, app: TarjamaApp | None = None) -> None:
        self.app = app or create_app(settings)
        self.settings = self.app.settings

    @cached_property
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
        return self.enqueue(job, kind=kind, job_id=job_id, force=force).job_id

    def enqueue(
        self,
        job: Any,
        *,
        kind: JobKind = "article",
        job_id: str | None = None,
        force: bool = False,
    ) -> Submission:
        """:meth:`submit`, telling what happened: see :class:`Submission`.

        ``job`` is normally a mapping (a string is the text); anything else is sent as is and
        fails in the worker as ``invalid_article``.
        """
        payload: Any = {"text": job} if isinstance(job, str) else job
        if isinstance(payload, Mapping):
            payload = dict(payload)
        job_id = job_id or job_id_for(kind, payload)
        claimed = sent = False
        try:
            current = self.status(job_id).state
            if current == states.SUCCESS and not force:
                return Submission(job_id, "done")
            claimed = self.ledger.mark_submitted(job_id)
            if not (claimed or force or current == states.FAILURE):
                sent = current != states.PENDING or self.ledger.submission(job_id) == "sent"
                return Submission(job_id, "queued" if sent else "sending")
            if current == states.FAILURE:
                self.app.backend.forget(job_id)
            priority = payload.get("priority") if isinstance(payload, dict) else None
            job_kind = KINDS[kind]
            self.app.send_task(
                job_kind.task,
                args=[payload],
                task_id=job_id,
                argsrepr=f"({short_summary(payload)},)",
                kwargsrepr="{}",
                **route(self.settings, job_kind.stages[0], priority),  # its first stage's queue
            )
            sent = True
            self.ledger.confirm_submitted(job_id)
        except (OperationalError, ConnectionError, OSError, RedisError, BackendError) as exc:
            if sent:  # queued; its claim lapses unconfirmed (a resubmit may then send it again)
                log.warning("job %s queued, but its submission not confirmed: %s", job_id, exc)
                return Submission(job_id, "sent")
            if claimed:
                with contextlib.suppress(RedisError, OSError):
                    self.ledger.forget_submission(job_id)  # else the lease runs out
            where = maybe_sanitize_url(self.settings.broker)  # no password in messages
            raise SubmitError(
                f"could not enqueue job {job_id}: Redis at {where} is unreachable or refused "
                f"us ({exc}); nothing was queued, submit again later"
            ) from exc
        return Submission(job_id, "sent")

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
