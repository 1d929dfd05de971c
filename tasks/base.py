"""What every tarjama task shares: unpack, guard, run plain code, map errors, store.

A task is like a web view: thin. :meth:`JobTask.execute` takes the job payload and a plain
function (the work); it

* returns the stored result if this job id already succeeded (duplicate delivery);
* counts deliveries that never finished, and fails a job whose process keeps dying
  (``worker_lost``) instead of looping;
* validates the payload (``invalid_article``, ``article_too_large``);
* maps every error to a stored ``JobFailed(code, message)``: permanent ones at once,
  transient ones after capped, exponential retries;
* reports progress as a custom ``PROGRESS`` state and a ``task-progress`` event (Flower);
* once Celery has stored the outcome, publishes the job's end on the results stream.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from celery import Task, states
from celery.canvas import Signature
from celery.exceptions import SoftTimeLimitExceeded
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tarjama.worker import faults
from tarjama.worker.app import TarjamaApp, as_tarjama
from tarjama.worker.errors import (
    BackendUnavailable,
    InvalidArticle,
    JobFailed,
    JobTimeout,
    ResourceExhausted,
    TarjamaError,
    WorkerLost,
    failure_code,
)
from tarjama.worker.jobs import ArticleInput, article_id, parse_job, short_summary
from tarjama.worker.pipeline import ProgressFn
from tarjama.worker.priorities import route
from tarjama.worker.stages import TASKS

log = logging.getLogger(__name__)
PROGRESS = "PROGRESS"
_PROGRESS_INTERVAL_S = 0.5


@dataclass(frozen=True)
class Handoff:
    """Returned by a stage that passes the job on: replace this task with ``signature``."""

    signature: Signature


Work = Callable[[ArticleInput, ProgressFn], "dict[str, Any] | Handoff"]


def unpack_payload(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The job is one JSON object: ``task(job)``, or its fields as keyword arguments."""
    if len(args) == 1 and not kwargs:
        return args[0]
    if not args and kwargs:
        return kwargs
    raise InvalidArticle(
        f"send the job as one JSON object argument (got {len(args)} positional "
        f"and {len(kwargs)} keyword arguments)"
    )


def _transient(exc: BaseException) -> TarjamaError | None:
    if isinstance(exc, TarjamaError):
        return exc if exc.retryable else None
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | OperationalError):
        return BackendUnavailable(f"Redis unavailable: {exc}")
    if isinstance(exc, MemoryError):
        return ResourceExhausted("out of memory")
    return None


class JobTask(Task):  # type: ignore[misc]
    typing = False  # we validate the payload ourselves, into a coded failure
    throws = (JobFailed,)  # expected failures: stored, logged without a traceback
    resultrepr_maxsize = 160  # logs and events never carry a whole article

    @property
    def tarjama(self) -> TarjamaApp:
        return as_tarjama(self.app)

    @property
    def public_name(self) -> str:
        """The task the producer sent (the summary stage belongs to process_article): the
        name a job's end is published under."""
        name = str(self.name)
        return TASKS[name][0].task if name in TASKS else name

    def progress_reporter(self) -> ProgressFn:
        last_at, last_stage = 0.0, ""

        def report(stage: str, done: int, total: int) -> None:
            nonlocal last_at, last_stage
            now = time.monotonic()
            if stage == last_stage and done < total and now - last_at < _PROGRESS_INTERVAL_S:
                return
            last_at, last_stage = now, stage
            meta = {"stage": stage, "done": done, "total": total}
            unit = "sentences" if stage == "translating" else "chunks"
            try:
                self.update_state(state=PROGRESS, meta=meta)
                # Flower shows a custom event's type as the task state (PROGRESS) and its
                # `result` field on the task page and in /api/task/info.
                self.send_event("task-progress", result=f"{stage} {done}/{total} {unit}", **meta)
            except (RedisConnectionError, RedisTimeoutError, OperationalError) as exc:
                log.warning("progress not reported: %s", exc)  # best effort

        return report

    def execute(self, args: tuple[Any, ...], kwargs: dict[str, Any], work: Work) -> dict[str, Any]:
        runtime = self.tarjama.runtime
        settings = runtime.settings
        job_id: str = self.request.id
        runtime.nodename = runtime.nodename or self.request.hostname
        try:
            stored = self.backend.get_task_meta(job_id)
            if stored.get("status") == states.SUCCESS:
                log.info("job %s already succeeded; returning the stored result", job_id)
                return dict(stored["result"])
            runtime.metrics.add({f"executions|{self.name}": 1})
            deliveries = runtime.ledger.record_delivery(job_id)
            if deliveries > settings.max_deliveries:
                raise WorkerLost(
                    f"the job's worker process died {deliveries - 1} times while running it "
                    f"(limit TARJAMA_MAX_DELIVERIES={settings.max_deliveries}); not run again"
                )
            payload = unpack_payload(args, kwargs)
            article = parse_job(payload, max_chars=settings.max_article_chars)
            faults.maybe_inject(settings.fault_injection, article.text)
            outcome = work(article, self.progress_reporter())
        except SoftTimeLimitExceeded:
            failure: TarjamaError = JobTimeout(
                f"the job ran over TARJAMA_SOFT_TIME_LIMIT={settings.soft_time_limit}s"
            )
        except Exception as exc:
            transient = _transient(exc)
            if transient is not None:
                self._retry_or_give_up(transient)
            if isinstance(exc, TarjamaError):
                failure = exc
            else:
                log.exception("job %s failed with an unexpected error", job_id)
                failure = TarjamaError(f"unexpected {type(exc).__name__}: {exc}")
        else:
            self._forget_deliveries(job_id)
            if isinstance(outcome, Handoff):
                _, next_stage = TASKS[outcome.signature.task]
                # the next stage keeps the job's id, priority and short args for Flower
                # (Task.replace raises Ignore)
                raise self.replace(
                    outcome.signature.set(
                        argsrepr=f"({short_summary(article.model_dump())},)",
                        kwargsrepr="{}",
                        **route(settings, next_stage, article.priority),
                    )
                )
            runtime.metrics.add({"jobs|succeeded": 1})
            return outcome
        self._forget_deliveries(job_id)
        runtime.metrics.add({f"jobs|{failure.code}": 1})
        raise JobFailed.from_error(failure)

    # Celery calls these after it has stored the outcome, so a consumer that reads the result
    # on the event finds it. A stage that hands the job on (Task.replace raises Ignore) ends in
    # neither hook: only the final stage publishes.
    def on_success(
        self, retval: Any, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._publish_end(task_id, "SUCCESS", args, kwargs)

    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: Any,
    ) -> None:
        self._publish_end(task_id, "FAILURE", args, kwargs, code=failure_code(exc))

    def _publish_end(
        self,
        job_id: str,
        status: Literal["SUCCESS", "FAILURE"],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        code: str | None = None,
    ) -> None:
        try:
            self.tarjama.runtime.results_stream.publish(
                job_id,
                status,
                task=self.public_name,
                code=code,
                article_id=article_id(args[0] if args else kwargs),
            )
        except RedisError as exc:  # the result is stored; only its announcement is lost
            log.warning("job %s: end not published on the results stream: %s", job_id, exc)

    def _forget_deliveries(self, job_id: str) -> None:
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
            self.tarjama.runtime.ledger.clear_deliveries(job_id)  # else it expires by TTL

    def _retry_or_give_up(self, error: TarjamaError) -> None:
        settings = self.tarjama.settings
        if self.request.retries >= settings.max_retries:
            self._forget_deliveries(self.request.id)
            self.tarjama.runtime.metrics.add({f"jobs|{error.code}": 1})
            raise JobFailed(
                error.code, f"{error.message} (gave up after {settings.max_retries} retries)"
            )
        countdown = min(60, 2**self.request.retries)
        self.tarjama.runtime.metrics.add({f"retries|{error.code}": 1})
        log.warning("job %s: %s; retry in %ss", self.request.id, error.message, countdown)
        self._forget_deliveries(self.request.id)
        raise self.retry(exc=error, countdown=countdown, max_retries=settings.max_retries)
