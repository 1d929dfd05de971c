"""No job is lost: worker processes killed mid-job, Redis restarts, poison jobs, SIGTERM.

Each case runs real processes: a redis-server, `tarjama worker` (prefork) processes, and
real (tiny) models; jobs long enough to be killed in the middle.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tarjama.tasks.client import SubmitError
from tarjama.worker.embedded import EmbeddedRedis, free_port
from tarjama.worker.subprocesses import WorkerProcess
from tests.conftest import ClientFor
from tests.helpers import TaskEvents, long_article, own_queues, running_pid, unique_article

pytestmark = pytest.mark.slow
StartWorker = Callable[..., WorkerProcess]


def test_pool_process_killed_mid_job_is_redelivered_and_succeeds_once(
    worker_factory: StartWorker, client_for: ClientFor, real_article: str
) -> None:
    env = own_queues("kill-child")
    worker = worker_factory("--concurrency=1", env=env, name="killchild")
    client = client_for(env)
    # Given a long job running in the worker's pool process
    job_id = client.submit(long_article(real_article))
    victim = running_pid(client, worker.nodename, job_id)
    # When that process is killed with SIGKILL
    os.kill(victim, signal.SIGKILL)
    # Then the job is redelivered to a fresh pool process and ends in one stored success
    status = client.wait(job_id, timeout=180)
    assert status.ok, status.error
    assert worker.alive
    assert victim not in worker.children()
    ledger = client.ledger
    assert not ledger.redis.exists(ledger.deliveries_key(job_id))


def test_whole_worker_killed_mid_job_completes_after_restart(
    worker_factory: StartWorker, client_for: ClientFor, real_article: str
) -> None:
    # Given a worker with a low visibility timeout (the limits must nest below it)
    env = {
        **own_queues("kill-all"),
        "TARJAMA_VISIBILITY_TIMEOUT": "20",
        "TARJAMA_TIME_LIMIT": "18",
        "TARJAMA_SOFT_TIME_LIMIT": "15",
    }
    first = worker_factory("--concurrency=1", env=env, name="killall1")
    client = client_for(env)
    job_id = client.submit(long_article(real_article, copies=2))
    running_pid(client, first.nodename, job_id)
    # When the whole worker (parent and pool) is killed with SIGKILL mid-job
    os.killpg(first.pid, signal.SIGKILL)
    first.stop()
    assert client.status(job_id).state in ("STARTED", "PROGRESS")
    # and a worker is started again
    worker_factory("--concurrency=1", env=env, name="killall2")
    # Then Redis hands the unacknowledged job to it after the visibility timeout
    status = client.wait(job_id, timeout=180)
    assert status.ok, status.error


def test_redis_restart_while_idle(
    client_for: ClientFor, tmp_path: Any, worker_factory: StartWorker
) -> None:
    port = free_port()
    redis = EmbeddedRedis(port).start()
    try:
        env = {"TARJAMA_REDIS_URL": redis.url}
        worker = worker_factory("--concurrency=1", env=env, name="redisrestart")
        client = client_for(env)
        assert client.wait(client.submit(unique_article("قبل الانقطاع.")), timeout=60).ok
        # When Redis goes away while the worker is idle
        redis.stop()
        # Then a job submitted during the outage fails clearly at submit time
        started = time.monotonic()
        with pytest.raises(SubmitError, match=r"unreachable or refused .*; nothing was queued"):
            client.submit(unique_article("أثناء الانقطاع."))
        assert time.monotonic() - started < 30
        # and once Redis is back, the worker reconnects and serves the next job
        redis.start()
        status = client.wait(client.submit(unique_article("بعد عودة الخدمة.")), timeout=120)
        assert status.ok, status.error
        assert worker.alive
    finally:
        redis.close()


def test_poison_job_ends_as_worker_lost_after_capped_deliveries(
    worker_factory: StartWorker, client_for: ClientFor
) -> None:
    # Given a job whose input kills its worker process every time
    marker = f"POISON{uuid.uuid4().hex[:8]}"
    env = {
        **own_queues("poison"),
        "TARJAMA_FAULT_INJECTION": f"kill:{marker}",
        "TARJAMA_MAX_DELIVERIES": "2",
    }
    worker = worker_factory("--concurrency=1", env=env, name="poison")
    client = client_for(env)
    with TaskEvents(client) as events:
        # When it is submitted
        job_id = client.submit(unique_article(f"خبر {marker} مسموم."))
        # Then after 2 deliveries that killed their process, the third stores a failure
        status = client.wait(job_id, timeout=180)
    assert status.error is not None
    assert status.error["code"] == "worker_lost"
    assert "died 2 times" in status.error["message"]
    assert events.received(job_id) == ["tarjama.process_article"] * 3
    # and the worker serves the next job
    assert worker.alive
    assert client.wait(client.submit(unique_article("خبر سليم.")), timeout=60).ok


def test_sigterm_mid_job_finishes_it_or_returns_it(
    worker_factory: StartWorker, client_for: ClientFor, real_article: str
) -> None:
    env = own_queues("sigterm")
    worker = worker_factory("--concurrency=1", env=env, name="sigterm1")
    client = client_for(env)
    job_id = client.submit(long_article(real_article))
    running_pid(client, worker.nodename, job_id)
    # When the worker gets SIGTERM (a deploy) mid-job
    worker.signal(signal.SIGTERM)
    # Then it exits cleanly after a warm shutdown, the running stage finished ...
    assert worker.proc is not None
    assert worker.proc.wait(timeout=120) == 0
    state = client.status(job_id).state
    assert state in ("SUCCESS", "PENDING", "STARTED", "PROGRESS")
    # ... and whatever is left of the job is in the queue: the next worker completes it
    worker_factory("--concurrency=1", env=env, name="sigterm2")
    status = client.wait(job_id, timeout=180)
    assert status.ok, status.error


def test_result_store_outage_mid_job_is_survived(
    worker_factory: StartWorker, client_for: ClientFor, real_article: str
) -> None:
    # Given a worker whose results live on a second Redis, running a long job
    results = EmbeddedRedis().start()
    try:
        env = {**own_queues("transient"), "TARJAMA_RESULT_URL": results.url}
        worker = worker_factory("--concurrency=1", env=env, name="transient")
        client = client_for(env)
        job_id = client.submit(long_article(real_article))
        running_pid(client, worker.nodename, job_id)
        # When the result store goes away for a few seconds mid-job
        results.stop()
        time.sleep(4)
        results.start()
        # Then the job still ends in a stored success (progress is best effort; storing
        # the outcome is retried), and the worker serves the next job
        status = client.wait(job_id, timeout=180)
        assert status.ok, status.error
        assert worker.alive
        assert client.wait(client.submit(unique_article("بعد العطل.")), timeout=60).ok
    finally:
        results.close()
