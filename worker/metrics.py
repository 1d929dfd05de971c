"""Cluster-wide counters: one Redis hash that every worker process increments.

Cheap (one pipelined HINCRBY per job), atomic and shared, so one scrape sees all workers:
``tarjama stats`` prints them and ``tarjama metrics`` serves them to Prometheus. Flower's
own ``/metrics`` covers task events (counts, runtimes, queue wait) per task name and worker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from tarjama.worker.results import STATS_KEY, node_key

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

#: name -> (Prometheus type, help). Counters named "<metric>|<label>" carry one label.
METRICS: dict[str, tuple[str, str]] = {
    "executions": ("counter", "Task executions started, by task name."),
    "jobs": ("counter", "Jobs ended, by outcome (succeeded or the failure code)."),
    "retries": ("counter", "Retries scheduled after transient errors, by code."),
    "sentences_translated": ("counter", "Sentences translated by a model."),
    "sentence_cache_hits": ("counter", "Sentences answered from the sentence cache."),
    "sentence_cache_misses": ("counter", "Sentences the sentence cache did not have."),
    "passthrough_sentences": ("counter", "Sentences without Arabic letters, copied as is."),
    "model_loads": ("counter", "Models loaded by worker processes, by role."),
    "model_load_seconds": ("counter", "Seconds spent loading models, by role."),
}
LABELS = {
    "executions": "task",
    "jobs": "outcome",
    "retries": "code",
    "model_loads": "role",
    "model_load_seconds": "role",
}


class Metrics:
    """Best effort: a counter that cannot be written never fails a job.

    Without a Redis (``None``: a process that runs the engines alone) nothing is kept.
    """

    def __init__(self, redis: Redis | None, node_ttl: int = 24 * 3600) -> None:
        self.redis = redis
        self.node_ttl = node_ttl

    def add(self, counts: Mapping[str, int | float]) -> None:
        if self.redis is None:
            return
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for field, amount in counts.items():
                    if amount:
                        if isinstance(amount, float):
                            pipe.hincrbyfloat(STATS_KEY, field, amount)
                        else:
                            pipe.hincrby(STATS_KEY, field, amount)
                pipe.execute()
        except RedisError as exc:
            log.warning("metrics not recorded: %s", exc)

    def model_loaded(
        self, nodename: str, pid: int, role: str, seconds: float, loaded: Sequence[str]
    ) -> None:
        self.add({f"model_loads|{role}": 1, f"model_load_seconds|{role}": round(seconds, 3)})
        if self.redis is None:
            return
        try:
            key = node_key(nodename)
            self.redis.hset(key, str(pid), json.dumps({"models": list(loaded)}))
            self.redis.expire(key, self.node_ttl)
        except RedisError as exc:
            log.warning("model load not recorded: %s", exc)

    def node_models(self, nodename: str) -> dict[int, list[str]]:
        raw = self.redis.hgetall(node_key(nodename)) if self.redis is not None else {}
        return {int(pid): json.loads(value)["models"] for pid, value in raw.items()}

    def snapshot(self) -> dict[str, float]:
        raw = self.redis.hgetall(STATS_KEY) if self.redis is not None else {}
        out: dict[str, float] = {}
        for key, value in raw.items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            number = float(value)
            out[name] = int(number) if number.is_integer() else number
        return dict(sorted(out.items()))


def prometheus_text(snapshot: Mapping[str, Any]) -> str:
    """The counters in Prometheus' text exposition format."""
    lines: list[str] = []
    for metric, (kind, help_text) in METRICS.items():
        samples = []
        for key, value in snapshot.items():
            name, _, label = key.partition("|")
            if name != metric:
                continue
            labels = f'{{{LABELS[metric]}="{label}"}}' if label else ""
            samples.append(f"tarjama_{metric}_total{labels} {value}")
        if samples:
            lines.append(f"# HELP tarjama_{metric}_total {help_text}")
            lines.append(f"# TYPE tarjama_{metric}_total {kind}")
            lines.extend(sorted(samples))
    return "\n".join(lines) + "\n"
