"""No single Redis to lose: a real master, replica and three Sentinels; real worker and intake.

Mid-burst the master is SIGKILLed (or switched with ``SENTINEL FAILOVER``); Sentinel
promotes the replica, and every client of tarjama follows it without a restart.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.connections import redis_client
from tarjama.worker.subprocesses import IntakeProcess, WorkerProcess
from tests.helpers import long_article, running_pid, settings_from_env, unique_article
from tests.sentinel_cluster import SentinelCluster

pytestmark = pytest.mark.slow
StartWorker = Callable[..., WorkerProcess]

BURST_CLIENT = 60
BURST_INTAKE = 60


@pytest.fixture
def cluster() -> Iterator[SentinelCluster]:
    with SentinelCluster() as started:
        yield started


@pytest.fixture
def ha_env(cluster: SentinelCluster, base_env: dict[str, str]) -> dict[str, str]:
    return {
        **base_env,
        **cluster.env(),
        # unacknowledged jobs come back soon (the limits nest below it)
        "TARJAMA_VISIBILITY_TIMEOUT": "20",
        "TARJAMA_TIME_LIMIT": "18",
        "TARJAMA_SOFT_TIME_LIMIT": "15",
    }


def test_sigkill_failover_mid_burst_loses_no_job(
    cluster: SentinelCluster,
    ha_env: dict[str, str],
    worker_factory: StartWorker,
    tmp_path: Path,
    real_article: str,
) -> None:
    worker = worker_factory("--concurrency=1", env=ha_env, name=f"ha{uuid.uuid4().hex[:4]}")
    intake = IntakeProcess({**os.environ, **ha_env}, tmp_path / "intake.log", name="ha").start()
    settings = settings_from_env(ha_env)
    client = TarjamaClient(settings)
    redis = redis_client(settings)
    try:
        # Given a long job running and a burst of 120 short jobs queued behind it
        first = client.submit(long_article(real_article))
        running_pid(client, worker.nodename, first)
        jobs = [first]
        for i in range(BURST_CLIENT):
            jobs.append(client.submit(unique_article(f"خبر رقم {i} من العميل.")))
        entries = []
        for i in range(BURST_INTAKE):
            article = unique_article(f"خبر رقم {i} من التدفق.")
            job_id = f"intake-{article['id']}"
            redis.xadd(settings.intake_stream, {"article": json.dumps(article), "job_id": job_id})
            entries.append(job_id)
        jobs += entries
        deadline = time.monotonic() + 60
        while redis.xlen(settings.intake_stream) or redis.llen(settings.translate_queue) < 100:
            assert time.monotonic() < deadline, "the burst never queued"
            time.sleep(0.05)
        queued = redis.llen(settings.translate_queue)
        print("queued", queued, client.status(first).state)
        # When the master is SIGKILLed mid-burst
        watch = cluster.watch()
        killed_at = time.monotonic()
        cluster.kill_master()
        host, port = watch.wait(60)
        switched_at = time.monotonic()
        print("switched", switched_at - killed_at, host, port)
        # Then ... the first job ends on the new master
        pending = set(jobs)
        first_done = None
        deadline = time.monotonic() + 240
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                if client.status(job_id).done:
                    pending.discard(job_id)
                    if first_done is None:
                        first_done = time.monotonic()
            time.sleep(0.2)
        print("recovered", (first_done or 0) - killed_at, "pending", len(pending))
        assert not pending
        statuses = [client.status(j) for j in jobs]
        print({s.state for s in statuses})
        print([s for s in statuses if not s.ok])
        import shutil

        shutil.copy(worker.log_path, "/tmp/i18_worker.log")
        shutil.copy(intake.log_path, "/tmp/i18_intake.log")
        worker.wait_ready(client.app, timeout=60)
        # the intake and a new submit carry on
        late = unique_article("خبر بعد التبديل.")
        redis.xadd(settings.intake_stream, {"article": json.dumps(late), "job_id": "late-1"})
        assert client.wait("late-1", timeout=60).ok
        assert client.wait(client.submit(unique_article("خبر آخر بعد التبديل.")), timeout=60).ok
        stats = subprocess.run(
            [sys.executable, "-m", "tarjama.worker.cli", "stats"],
            env={**os.environ, **ha_env},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        print(stats.stdout)
    finally:
        intake.stop(grace=10)
        worker.stop(grace=10)
        client.close()
        redis.close()


def _unused(x: Any) -> None:
    pass
