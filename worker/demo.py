"""``tarjama demo``: one article through a real Redis queue and a real worker, then stop.

With no Redis configured it starts a throwaway redis-server (the pip-installed binary) on a
free loopback port. It starts a worker process, submits the article, prints the result and
shuts everything down, also on Ctrl-C. ``tiny=True`` swaps in tiny locally-built models
(random weights) so the plumbing can be seen where the real weights cannot be had.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kombu.utils.url import maybe_sanitize_url

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.embedded import EmbeddedRedis
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.models.weights import locate
from tarjama.worker.settings import load_settings
from tarjama.worker.stages import STAGES
from tarjama.worker.subprocesses import WorkerProcess
from tarjama.worker.tiny_models import TINY_LABEL, build_tiny_models


def _say(message: str) -> None:
    print(f"tarjama demo: {message}", file=sys.stderr, flush=True)


def _print_result(result: dict[str, Any], tiny: bool) -> None:
    if tiny:
        print(f"*** {TINY_LABEL}: the English below is random tokens ***\n")
    if result.get("title"):
        print(f"# {result['title']}\n")
    print(result.get("text") or "")
    summary = result.get("summary") or {}
    print(f"\n## Summary ({summary.get('style')}, {summary.get('strategy')})\n")
    print(summary.get("text", ""))
    models = result["models"]
    timings = result["timings"]
    counts = result["counts"]
    print(
        f"\n-- job {result['job_id']}: {counts.get('paragraphs')} paragraphs, "
        f"{counts.get('sentences')} sentences; translation "
        f"{timings.get('translation_s')}s with {models['translation']['id']}, summary "
        f"{timings.get('summary_s')}s with {models['summary']['id']}"
    )


def run_demo(
    article_path: Path, *, tiny: bool = False, as_json: bool = False, timeout: float = 900.0
) -> int:
    settings = load_settings()
    text = article_path.read_text(encoding="utf-8")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tarjama-demo-")))
        env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
        if not settings.redis_explicit:
            redis = stack.enter_context(EmbeddedRedis())
            _say(f"started a throwaway redis-server at {redis.url}")
            env["TARJAMA_REDIS_URL"] = redis.url
        else:
            _say(f"using the Redis at {maybe_sanitize_url(settings.broker)}")
        if tiny:
            root = settings.model_cache_dir / "tiny"
            _say(f"building tiny random-weight models in {root} ({TINY_LABEL})")
            paths = build_tiny_models(root, names=("marian", "bart"))
            env["TARJAMA_TRANSLATION_MODEL"] = str(paths["marian"])
            env["TARJAMA_SUMMARY_MODEL"] = str(paths["bart"])
        else:
            for stage in STAGES:
                spec = ModelSpec.for_stage(stage, settings)
                _say(f"checking the {stage.model} model {spec.name}")
                locate(spec)  # ModelUnavailable says how to fix
        if not settings.redis_explicit:
            settings = load_settings(redis_url=env["TARJAMA_REDIS_URL"])
        client = TarjamaClient(settings)
        stack.callback(client.close)
        log_path = workdir / "worker.log"
        worker = WorkerProcess(env, log_path, name="demo", args=("--concurrency=1",))
        stack.enter_context(worker)
        _say(f"started a worker (pid {worker.pid}, log {log_path})")
        job_id = client.submit({"text": text, "id": article_path.name}, force=True)
        _say(f"submitted job {job_id}; waiting for the result")
        status = _wait_showing_progress(client, job_id, worker, timeout)
        if status is None:
            tail = log_path.read_text(errors="replace")[-3000:]
            _say(f"the worker stopped before the job finished; its log ends:\n{tail}")
            return 1
        if not status.ok:
            _say(f"job failed: {status.error}")
            return 1
        assert status.result is not None
        if as_json:
            print(json.dumps(status.result, ensure_ascii=False, indent=2))
        else:
            _print_result(status.result, tiny)
        _say("stopping the worker and Redis")
    return 0


def _wait_showing_progress(
    client: TarjamaClient, job_id: str, worker: WorkerProcess, timeout: float
) -> Any:
    deadline = time.monotonic() + timeout
    shown = None
    while time.monotonic() < deadline:
        status = client.status(job_id)
        if status.done:
            return status
        if not worker.alive:
            return None
        seen = (status.state, tuple((status.progress or {}).values()))
        if seen != shown:
            shown = seen
            extra = status.progress or {}
            detail = (
                f" {extra.get('stage')} {extra.get('done')}/{extra.get('total')}" if extra else ""
            )
            _say(f"  {status.state}{detail}")
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} not done after {timeout}s")
