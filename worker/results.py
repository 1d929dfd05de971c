"""The result schema and tarjama's keys in Redis.

The only place that knows Redis key names. Results themselves are stored by Celery's Redis
result backend under ``celery-task-meta-<job_id>`` as JSON::

    {"status": "SUCCESS", "result": {...the document below...}, "task_id": ..., "date_done": ...}
    {"status": "FAILURE", "result": {"exc_type": "JobFailed", "exc_module": "tarjama.worker.errors",
                                     "exc_message": ["<code>", "<human message>"]}, ...}

Besides those, tarjama keeps (all with a TTL): ``tarjama:deliveries:<job_id>`` (deliveries
that did not finish: caps poison jobs), ``tarjama:submitted:<job_id>`` (a submission marker
that makes resubmits idempotent) and ``tarjama:sentence:<sha256>`` (the sentence cache); and
two streams whose names are settings: the intake stream (``tarjama:intake``, read by
:mod:`worker.intake`) and the results stream (``tarjama:results``, :class:`ResultsStream`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from tarjama.worker.jobs import ArticleInput
from tarjama.worker.stages import JobKind

if TYPE_CHECKING:
    from redis import Redis

    from tarjama.worker.pipeline import Segment, SummaryOutput, TranslationOutput

SCHEMA_VERSION = 1
CELERY_RESULT_PREFIX = "celery-task-meta-"
_PREFIX = "tarjama"
#: Seconds a submission claim lives before it is confirmed (longer than a send takes,
#: publish retries included): a submitter that dies mid-send blocks the job no longer.
SUBMIT_LEASE_S = 30
SubmissionState = Literal["sending", "sent"]


def result_key(job_id: str) -> str:
    """The Redis key of a job's stored result (Celery's Redis backend layout)."""
    return f"{CELERY_RESULT_PREFIX}{job_id}"


def _pairs(segments: Sequence[Segment]) -> list[dict[str, str]]:
    return [
        {"source": s.source, "translation": s.translation, "origin": s.origin} for s in segments
    ]


def translation_section(translation: TranslationOutput) -> dict[str, Any]:
    doc = translation.document
    segments = doc.segments
    return {
        "title": translation.title,
        "text": translation.text,
        "title_sentences": _pairs(doc.title),
        "paragraphs": [{"sentences": _pairs(p)} for p in doc.paragraphs],
        "counts": {
            "paragraphs": len(doc.paragraphs),
            "sentences": len(segments),
            "cache_hits": translation.cache_hits,
            "cache_misses": translation.cache_misses,
            "passthrough_sentences": sum(1 for s in segments if s.origin == "passthrough"),
            "over_limit_sentences": translation.over_limit_sentences,
        },
        "seconds": translation.seconds,
    }


def summary_section(summary: SummaryOutput) -> dict[str, Any]:
    return {
        "text": summary.text,
        "style": summary.style,
        "strategy": summary.strategy,
        "chunks": summary.chunks,
        "levels": summary.levels,
        "input_tokens": summary.input_tokens,
        "flags": [dict(f) for f in summary.flags],
    }


def build_result(
    *,
    job_id: str,
    kind: JobKind,
    article: ArticleInput,
    translation: Mapping[str, Any] | None,
    summary: Mapping[str, Any] | None,
    models: Mapping[str, Mapping[str, Any] | None],
    timings: Mapping[str, float],
) -> dict[str, Any]:
    """The JSON document stored for a successful job (schema_version 1; see README)."""
    counts = {"source_characters": len(article.text) + len(article.title or "")}
    if translation is not None:
        counts.update(translation["counts"])
    return {
        "schema_version": SCHEMA_VERSION,
        "job_id": job_id,
        "kind": kind,
        "article": {
            "id": article.id,
            "source_url": article.source_url,
            "metadata": article.metadata,
            "format": article.format,
        },
        "title": translation["title"] if translation else article.title,
        "text": translation["text"] if translation else None,
        "title_sentences": translation["title_sentences"] if translation else None,
        "paragraphs": translation["paragraphs"] if translation else None,
        "summary": dict(summary) if summary is not None else None,
        "language": translation.get("language") if translation else None,
        "models": {role: dict(info) if info else None for role, info in models.items()},
        "timings": dict(timings),
        "counts": counts,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class JobLedger:
    """Per-job bookkeeping keys: delivery counters and submission markers."""

    def __init__(self, redis: Redis, ttl: int) -> None:
        self.redis = redis
        self.ttl = ttl

    @staticmethod
    def deliveries_key(job_id: str) -> str:
        return f"{_PREFIX}:deliveries:{job_id}"

    @staticmethod
    def submitted_key(job_id: str) -> str:
        return f"{_PREFIX}:submitted:{job_id}"

    def record_delivery(self, job_id: str) -> int:
        """Count a delivery that has started; cleared again when the job ends cleanly."""
        key = self.deliveries_key(job_id)
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, self.ttl)
            count, _ = pipe.execute()
        return int(count)

    def clear_deliveries(self, job_id: str) -> None:
        self.redis.delete(self.deliveries_key(job_id))

    def mark_submitted(self, job_id: str) -> bool:
        """Claim the job's submission: True if nobody has submitted it (within the result TTL).

        The claim is a lease (``sending``, :data:`SUBMIT_LEASE_S`) until
        :meth:`confirm_submitted` makes it ``sent`` for the result TTL, so a submitter that
        dies between claiming and sending does not leave the job marked as sent.
        """
        key = self.submitted_key(job_id)
        return bool(self.redis.set(key, "sending", nx=True, ex=SUBMIT_LEASE_S))

    def confirm_submitted(self, job_id: str) -> None:
        """The job's message is on the broker: resubmits are no-ops for the result TTL."""
        self.redis.set(self.submitted_key(job_id), "sent", ex=self.ttl)

    def submission(self, job_id: str) -> SubmissionState | None:
        value = self.redis.get(self.submitted_key(job_id))
        if value is None:
            return None
        sending = value in (b"sending", "sending")
        return "sending" if sending else "sent"  # "1": a marker from before the lease

    def forget_submission(self, job_id: str) -> None:
        self.redis.delete(self.submitted_key(job_id))


class ResultsStream:
    """The results stream: one entry per finished job, for consumers that follow it with XREAD.

    Fields (all strings; see tasks/schemas/event.schema.json): ``job_id``, ``status``
    (``SUCCESS`` | ``FAILURE``), ``task`` (the public task name), ``code`` (failures only),
    ``article_id`` (the job's ``id``, if it had one), ``entry`` (the intake entry id, on
    entries the intake publishes itself). Published after the result is stored, so a
    consumer that reads the result key on an event always finds the outcome.
    """

    def __init__(self, redis: Redis, name: str, maxlen: int) -> None:
        self.redis = redis
        self.name = name
        self.maxlen = maxlen

    def publish(
        self,
        job_id: str,
        status: Literal["SUCCESS", "FAILURE"],
        *,
        task: str,
        code: str | None = None,
        article_id: str | None = None,
        entry: str | None = None,
    ) -> str:
        optional = {"code": code, "article_id": article_id, "entry": entry}
        fields = {"job_id": job_id, "status": status, "task": task}
        fields.update({name: value for name, value in optional.items() if value is not None})
        event_id = self.redis.xadd(self.name, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        return event_id.decode() if isinstance(event_id, bytes) else str(event_id)


class RedisSentenceCache:
    """The sentence cache: one key per (namespace, normalized sentence), with a TTL.

    The namespace holds model id, revision, engine, compute type and decoding settings, so
    a translation made with other settings or another model is never returned.
    """

    def __init__(self, redis: Redis, ttl: int) -> None:
        self.redis = redis
        self.ttl = ttl

    @staticmethod
    def key(namespace: str, sentence: str) -> str:
        digest = hashlib.sha256(f"{namespace}\x00{sentence}".encode()).hexdigest()
        return f"{_PREFIX}:sentence:{digest}"

    def get_many(self, namespace: str, sentences: Sequence[str]) -> list[str | None]:
        if not sentences:
            return []
        values = self.redis.mget([self.key(namespace, s) for s in sentences])
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]

    def set_many(self, namespace: str, pairs: Mapping[str, str]) -> None:
        with self.redis.pipeline(transaction=False) as pipe:
            for sentence, translation in pairs.items():
                pipe.set(self.key(namespace, sentence), translation, ex=self.ttl)
            pipe.execute()


STATS_KEY = f"{_PREFIX}:stats"


def node_key(nodename: str) -> str:
    """Per worker node: which models each of its processes holds, and their load times."""
    return f"{_PREFIX}:node:{nodename}"
