"""A burst of 500 small jobs to 2 worker processes: all stored, none lost, none run twice."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import pytest

from tests.conftest import ClientFor
from tests.helpers import unique_article
from worker.metrics import Metrics
from worker.subprocesses import WorkerProcess

pytestmark = pytest.mark.slow
JOBS = 500


def test_burst_of_500_jobs(
    worker_factory: Callable[..., WorkerProcess],
    client_for: ClientFor,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"TARJAMA_TRANSLATE_QUEUE": "load.translate", "TARJAMA_SUMMARIZE_QUEUE": "load.summarize"}
    worker = worker_factory("--concurrency=2", env=env, name="load")
    client = client_for(env)
    metrics = Metrics(client.app.backend.client)
    before = metrics.snapshot()
    # Given 500 distinct small articles submitted at once
    started = time.monotonic()
    ids = [client.submit(unique_article(f"خبر قصير رقم {i}.")) for i in range(JOBS)]
    submitted = time.monotonic() - started
    assert len(set(ids)) == JOBS
    # When the two worker processes drain the queue
    statuses = [client.wait(job_id, timeout=900, poll=0.5) for job_id in ids]
    drained = time.monotonic() - started
    # Then every job has one stored success, none lost
    assert sum(s.ok for s in statuses) == JOBS, [s.error for s in statuses if not s.ok][:3]
    # and none computed twice: each stage ran exactly once per job
    after = metrics.snapshot()
    for stage in ("tarjama.process_article", "tarjama.process_article.summarize"):
        key = f"executions|{stage}"
        assert after.get(key, 0) - before.get(key, 0) == JOBS, key
    assert worker.alive
    with capsys.disabled():
        print(
            f"\n[load] {JOBS} jobs: submitted in {submitted:.1f}s, drained in {drained:.1f}s "
            f"({JOBS / drained * 60:.0f} jobs/min) by 2 worker processes",
            file=sys.stderr,
        )
