"""A burst of 500 small jobs to 2 worker processes: all stored, none lost, none run twice."""

from __future__ import annotations

import sys
import time
from collections import Counter

import pytest

from tests.conftest import ClientFor, StartWorker
from tests.helpers import TaskEvents, own_queues, unique_article

pytestmark = pytest.mark.slow
JOBS = 500
STAGES = ("tarjama.process_article", "tarjama.process_article.summarize")


def test_burst_of_500_jobs(
    worker_factory: StartWorker, client_for: ClientFor, capsys: pytest.CaptureFixture[str]
) -> None:
    env = own_queues("load")
    worker = worker_factory("--concurrency=2", env=env, name="load")
    client = client_for(env)
    with TaskEvents(client) as events:
        # Given 500 distinct small articles submitted at once
        started = time.monotonic()
        ids = [client.submit(unique_article(f"خبر قصير رقم {i}.")) for i in range(JOBS)]
        submitted = time.monotonic() - started
        assert len(set(ids)) == JOBS
        # When the two worker processes drain the queue
        statuses = [client.wait(job_id, timeout=900, poll=0.05) for job_id in ids]
        drained = time.monotonic() - started
    # Then every job has one stored success, none lost
    assert sum(s.ok for s in statuses) == JOBS, [s.error for s in statuses if not s.ok][:3]
    # and none computed twice: each stage of each job was delivered and started once
    deliveries = Counter(name for job_id in ids for name in events.received(job_id))
    assert deliveries == dict.fromkeys(STAGES, JOBS)
    assert all(events.started(job_id) == len(STAGES) for job_id in ids)
    assert worker.alive
    with capsys.disabled():
        print(
            f"\n[load] {JOBS} jobs: submitted in {submitted:.1f}s, drained in {drained:.1f}s "
            f"({JOBS / drained * 60:.0f} jobs/min) by 2 worker processes",
            file=sys.stderr,
        )
