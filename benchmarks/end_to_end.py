"""Articles per minute: the engine on its own, and through the real queue and worker.

``direct`` runs the worker's two stages (the functions the tasks call) in a fresh process,
article after article. ``queue`` starts a redis-server and a real ``tarjama worker`` with the
same settings, submits the same articles at once and waits for every stored result. The
queue should cost little: its rate within 15% of the engine's own. A third run uses the
default process count (cores / threads) for the machine's real throughput.

The shape twins have random weights: each article's translation runs to its length budget
and the summary input is noise, but both runs do the same work on the same articles.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.measure import peak_rss_mb
from benchmarks.rows import clean_env

DIRECT = "direct"


def worker_env(translation: Path, summary: Path, cache_dir: Path, threads: int) -> dict[str, str]:
    return {
        **clean_env(),
        "TARJAMA_TRANSLATION_MODEL": str(translation),
        "TARJAMA_SUMMARY_MODEL": str(summary),
        "TARJAMA_MODEL_CACHE_DIR": str(cache_dir),
        "TARJAMA_OFFLINE": "true",
        "TARJAMA_SENTENCE_CACHE_TTL": "0",  # every article is computed, none cached
        "TARJAMA_INTRA_THREADS": str(threads),
        "TARJAMA_TRANSLATION_BEAMS": "4",
    }


def article_jobs(count: int) -> list[dict[str, Any]]:
    """The sample article, ``count`` times under distinct ids (so distinct jobs)."""
    from tarjama.worker.tiny_models import sample_article_path

    text = sample_article_path().read_text(encoding="utf-8")
    run = uuid.uuid4().hex[:8]
    return [{"text": text, "id": f"bench-{run}-{i}"} for i in range(count)]


def run_direct(count: int) -> dict[str, Any]:
    """In this process (settings from the environment): load, then the articles in turn."""
    from tarjama.tasks import stages
    from tarjama.worker.jobs import parse_job
    from tarjama.worker.pipeline import no_progress
    from tarjama.worker.runtime import WorkerRuntime
    from tarjama.worker.settings import load_settings

    settings = load_settings()
    runtime = WorkerRuntime(settings, None)  # the engines alone: no Redis, no counters
    started = time.perf_counter()
    runtime.models.translator()
    runtime.models.summarizer()
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    for job in article_jobs(count):
        article = parse_job(job, max_chars=settings.max_article_chars)
        translated = stages.translate(runtime, article, no_progress)
        section = translated["section"]
        stages.summarize(runtime, article, section["text"], section["title"], no_progress)
    seconds = time.perf_counter() - started
    return {
        "label": f"engine on its own: 1 process × {settings.threads_per_process} threads",
        "articles": count,
        "seconds": round(seconds, 2),
        "articles_per_min": count / seconds * 60,
        "load_s": round(load_s, 2),
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_direct(env: dict[str, str], count: int) -> dict[str, Any]:
    import subprocess

    command = [sys.executable, "-m", "benchmarks.end_to_end", DIRECT, str(count)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        return {"label": "engine on its own", "error": f"exit {done.returncode}: {tail}"}
    return result


def measure_queue(env: dict[str, str], count: int, processes: int, label: str) -> dict[str, Any]:
    """Through a redis-server and a real prefork worker: submit all, wait for all."""
    from tarjama.tasks.client import TarjamaClient
    from tarjama.worker.embedded import EmbeddedRedis
    from tarjama.worker.settings import load_settings
    from tarjama.worker.subprocesses import WorkerProcess

    with EmbeddedRedis() as redis, tempfile.TemporaryDirectory(prefix="tarjama-bench-") as tmp:
        full_env = {**env, "TARJAMA_REDIS_URL": redis.url}
        client = TarjamaClient(load_settings(redis_url=redis.url))  # default queues, as the worker
        worker = WorkerProcess(
            full_env, Path(tmp) / "worker.log", name="bench", args=(f"--concurrency={processes}",)
        )
        with worker:
            try:
                worker.wait_ready(client.app, timeout=600)
                started = time.perf_counter()
                ids = [client.submit(job) for job in article_jobs(count)]
                statuses = [client.wait(job_id, timeout=3600, poll=0.05) for job_id in ids]
                seconds = time.perf_counter() - started
                peak = max((peak_rss_mb(pid) for pid in worker.children()), default=0.0)
            finally:
                client.close()
            failed = [s.error for s in statuses if not s.ok]
            if failed:
                return {"label": label, "error": f"{len(failed)} jobs failed: {failed[0]}"}
    return {
        "label": label,
        "articles": count,
        "seconds": round(seconds, 2),
        "articles_per_min": count / seconds * 60,
        "peak_rss_mb": peak,
    }


def run_end_to_end(
    translation: Path, summary: Path, cache_dir: Path, threads: int, count: int
) -> dict[str, dict[str, Any]]:
    env = worker_env(translation, summary, cache_dir, threads)
    default = {**env, "TARJAMA_INTRA_THREADS": "1"}
    cores = os.cpu_count() or 1
    return {
        "direct": measure_direct(env, count),
        "queue": measure_queue(
            env, count, 1, f"queue + worker: 1 process × {threads} threads (same settings)"
        ),
        "default": measure_queue(
            default, count, cores, f"queue + worker: {cores} processes × 1 thread (default)"
        ),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == DIRECT:
        print(json.dumps(run_direct(int(sys.argv[2]))))
    else:
        sys.exit(f"usage: python -m benchmarks.end_to_end {DIRECT} COUNT")
