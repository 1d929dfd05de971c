"""The stream intake: apps with only a Redis client submit articles with ``XADD``.

A producer does ``XADD tarjama:intake * article '<job JSON>'`` (optional fields: ``task``,
a public task name, and ``job_id``). ``tarjama intake`` reads the stream in a consumer group
and, for each entry:

1. reads it (:func:`read_entry`): the job JSON, the task and the job id (derived from the
   content as the Python client derives it, unless the producer named one);
2. turns a valid entry into a Celery job with :meth:`TarjamaClient.enqueue`, idempotent on
   the job id; stores an invalid one as a failure (``invalid_article``, ...) and announces
   it on the results stream;
3. only then acknowledges the entry, and deletes it (the stream is a work queue).

At least once, and not twice: a crash after the job was enqueued and before the ack leaves
the entry pending; read again, the job's submission marker (``sent``) says it is queued, so
the entry is acknowledged without sending again. A crash between claiming the marker and
sending leaves a short lease (``sending``): the entry stays pending and is retried when the
lease has lapsed. Only a crash in the instant between the send and the marker's
confirmation can send a job twice (the second run returns the stored result of the first
when that has finished).

On start an intake handles its own pending entries (read from id 0 under its consumer
name), takes over entries that stayed unacknowledged for ``TARJAMA_INTAKE_CLAIM_IDLE``
seconds (their intake died: ``XAUTOCLAIM``), then reads new ones (``>``); the take-over
repeats every ``TARJAMA_INTAKE_CLAIM_IDLE`` seconds. Needs Redis 6.2 or newer.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError, ResponseError

from tarjama.tasks.client import SubmitError, TarjamaClient
from tarjama.worker.errors import ArticleTooLarge, InvalidArticle, JobFailed, TarjamaError
from tarjama.worker.jobs import article_id, job_id_for, parse_job
from tarjama.worker.results import ResultsStream
from tarjama.worker.stages import KINDS, JobKind

if TYPE_CHECKING:
    from redis import Redis

    from tarjama.worker.settings import Settings

log = logging.getLogger(__name__)

ENTRY_FIELDS = ("article", "task", "job_id")
JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")
BATCH = 16
BLOCK_MS = 2_000
MAX_BACKOFF_S = 30.0
FAULT_EXIT_CODE = 86
#: The public tasks an entry may name, and the kind of job each is.
_KINDS: dict[str, JobKind] = {kind.task: name for name, kind in KINDS.items()}

Entry = tuple[bytes, Mapping[bytes, bytes]]


@dataclass(frozen=True)
class IntakeRequest:
    """One entry, read: the job it asks for, or why it cannot be one (``problem``)."""

    entry_id: str
    kind: JobKind
    job_id: str
    payload: Any
    problem: TarjamaError | None = None

    @property
    def task(self) -> str:
        return KINDS[self.kind].task


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _decode(fields: Mapping[bytes, bytes], problems: list[str]) -> dict[str, str]:
    decoded: dict[str, str] = {}
    for raw_name, raw_value in fields.items():
        name = raw_name.decode("utf-8", "replace")
        try:
            decoded[name] = raw_value.decode("utf-8")
        except UnicodeDecodeError as exc:
            decoded[name] = raw_value.decode("utf-8", "replace")
            problems.append(f"field {name!r} is not UTF-8 (bad byte at {exc.start})")
    return decoded


def read_entry(entry_id: str, fields: Mapping[bytes, bytes], *, max_chars: int) -> IntakeRequest:
    """What an intake entry asks for. Invalid entries get a stable id too (from their content)."""
    problems: list[str] = []
    decoded = _decode(fields, problems)
    unknown = sorted(set(decoded) - set(ENTRY_FIELDS))
    if unknown:
        problems.append(
            f"unknown field(s) {', '.join(unknown)} (an entry has {', '.join(ENTRY_FIELDS)})"
        )
    task = decoded.get("task", KINDS["article"].task)
    kind = _KINDS.get(task, "article")
    if task not in _KINDS:
        problems.append(f"task {task!r} is not one of {', '.join(_KINDS)}")
    payload: Any = decoded.get("article")
    if payload is None:
        payload = decoded
        problems.append("no 'article' field: XADD <stream> * article '<job JSON>'")
    else:
        try:
            payload = json.loads(payload, parse_constant=_reject_constant)
        except ValueError as exc:
            problems.append(f"article is not valid JSON: {exc}")
    job_id = decoded.get("job_id")
    if job_id is not None and not JOB_ID.fullmatch(job_id):
        problems.append(
            "job_id must be 1 to 200 letters, digits and . _ : @ - (starting with a letter "
            "or digit)"
        )
        job_id = None
    request = IntakeRequest(entry_id, kind, job_id or job_id_for(kind, payload), payload)
    if problems:
        message = f"intake entry {entry_id}: {'; '.join(problems)}"
        return replace(request, problem=InvalidArticle(message))
    try:
        parse_job(payload, max_chars=max_chars)
    except (InvalidArticle, ArticleTooLarge) as exc:
        return replace(request, problem=exc)
    return request


class StreamIntake:
    """One consumer of the intake stream's group: entries in, Celery jobs out."""

    def __init__(self, client: TarjamaClient, consumer: str) -> None:
        settings = client.settings
        self.client = client
        self.redis: Redis = client.app.backend.client
        self.stream = settings.intake_stream
        self.group = settings.intake_group
        self.consumer = consumer
        self.claim_idle_s = settings.intake_claim_idle
        self.max_chars = settings.max_article_chars
        self.fault = settings.intake_fault
        self.results = ResultsStream(
            self.redis, settings.results_stream, settings.results_stream_maxlen
        )
        self._backoff_s = 1.0

    def run(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set; wait out Redis outages with capped backoff."""
        while not stop.is_set():
            try:
                self._serve(stop)
            except (RedisError, OperationalError, SubmitError) as exc:
                log.warning("intake: Redis unavailable (%s); again in %.0fs", exc, self._backoff_s)
                stop.wait(self._backoff_s)
                self._backoff_s = min(self._backoff_s * 2, MAX_BACKOFF_S)

    def _serve(self, stop: threading.Event) -> None:
        self.ensure_group()
        self._backoff_s = 1.0
        self.recover()
        next_recovery = time.monotonic() + self.claim_idle_s
        while not stop.is_set():
            self._handle_all(self._read(">", block=BLOCK_MS))
            if time.monotonic() >= next_recovery:
                self.recover()
                next_recovery = time.monotonic() + self.claim_idle_s

    def ensure_group(self) -> None:
        """Create the group (and stream) if missing; from id 0: earlier entries count too."""
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
            log.info("intake: created consumer group %s on %s", self.group, self.stream)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def recover(self) -> None:
        """Take over entries idle for claim_idle (dead intakes', and ones this intake left
        pending), then handle every entry pending with this consumer."""
        start: bytes | str = "0-0"
        while True:
            start, *_ = self.redis.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=self.claim_idle_s * 1000,
                start_id=start,
                count=BATCH,
            )
            if start in (b"0-0", "0-0"):
                break
        start = "0"
        while entries := self._read(start):
            self._handle_all(entries)
            start = entries[-1][0]

    def _read(self, start: bytes | str, block: int | None = None) -> Sequence[Entry]:
        reply: Any = self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=BATCH, block=block
        )
        entries: Sequence[Entry] = reply[0][1] if reply else []
        return entries

    def _handle_all(self, entries: Sequence[Entry]) -> None:
        for raw_id, fields in entries:
            entry_id = raw_id.decode()
            try:
                self.handle(entry_id, fields)
            except (RedisError, OperationalError, SubmitError):
                raise
            except Exception:  # a bug: keep the entry, so a fixed intake still takes it
                log.exception("intake entry %s: unexpected error; left pending", entry_id)

    def handle(self, entry_id: str, fields: Mapping[bytes, bytes]) -> None:
        """Enqueue (or reject) one entry, then acknowledge it; or leave it pending."""
        if not fields:  # deleted before it was acknowledged: nothing to enqueue
            self._acknowledge(entry_id)
            return
        request = read_entry(entry_id, fields, max_chars=self.max_chars)
        if request.problem is not None:
            self._reject(request, request.problem)
        else:
            submission = self.client.enqueue(
                request.payload, kind=request.kind, job_id=request.job_id
            )
            log.info("intake entry %s: job %s %s", entry_id, request.job_id, submission.outcome)
            if submission.outcome == "sending":
                return  # another submitter's unconfirmed claim: retried once it has lapsed
            if submission.outcome == "done":  # answer this entry too: its result is there
                self._announce(request, "SUCCESS")
            if submission.outcome == "sent" and self.fault == "exit-after-enqueue":
                self._crash(entry_id)
        self._acknowledge(entry_id)

    def _reject(self, request: IntakeRequest, problem: TarjamaError) -> None:
        log.info("intake entry %s: job %s failed: %s", request.entry_id, request.job_id, problem)
        self.client.app.backend.mark_as_failure(request.job_id, JobFailed.from_error(problem))
        self._announce(request, "FAILURE", code=problem.code)

    def _announce(
        self,
        request: IntakeRequest,
        status: Literal["SUCCESS", "FAILURE"],
        code: str | None = None,
    ) -> None:
        self.results.publish(
            request.job_id,
            status,
            task=request.task,
            code=code,
            article_id=article_id(request.payload),
            entry=request.entry_id,
        )

    def _acknowledge(self, entry_id: str) -> None:
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            pipe.execute()

    def _crash(self, entry_id: str) -> NoReturn:
        log.warning("TARJAMA_INTAKE_FAULT: exiting before acknowledging entry %s", entry_id)
        logging.shutdown()
        os._exit(FAULT_EXIT_CODE)


def run_intake(settings: Settings, consumer: str | None = None) -> None:
    """``tarjama intake``: serve until SIGTERM or SIGINT (the entry at hand is finished)."""
    logging.basicConfig(
        level=settings.log_level, format="[%(asctime)s: %(levelname)s/%(name)s] %(message)s"
    )
    name = consumer or settings.intake_consumer or socket.gethostname()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    client = TarjamaClient(settings)
    log.info(
        "intake %s: reading %s (group %s); results on %s",
        name,
        settings.intake_stream,
        settings.intake_group,
        settings.results_stream,
    )
    try:
        StreamIntake(client, name).run(stop)
    finally:
        client.close()
    log.info("intake %s: stopped", name)
