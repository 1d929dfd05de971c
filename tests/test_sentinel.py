"""No single Redis to lose: a master, a replica and three Sentinels (real processes), a real
worker, the stream intake and ``tarjama metrics``; the master goes away mid-burst.

Each burst test queues 120 jobs (60 from the Python client, 60 through the intake stream)
behind a long job that is running, then makes the master go: SIGKILL, a bare
``SENTINEL FAILOVER``, or ``tarjama failover``. The tests wait on Sentinel's
``+switch-master`` and on job states, then check that every job ended in one stored
result and that every process carried on, unrestarted. How often a job ran twice is
counted from the worker's own log: it is a local file, whereas task events travel over the
Redis that is failing over. Figures are printed (``-s``) as ``failover: ...``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from tarjama.tasks.client import JobStatus, TarjamaClient
from tarjama.worker.broker import UNACKED_KEY
from tarjama.worker.connections import redis_client
from tarjama.worker.embedded import free_port
from tarjama.worker.priorities import consumed_queues
from tarjama.worker.results import result_key
from tarjama.worker.settings import Settings
from tarjama.worker.stages import STAGES
from tarjama.worker.subprocesses import IntakeProcess, WorkerProcess
from tests.helpers import (
    Contract,
    FlowerProcess,
    long_article,
    running_pid,
    settings_from_env,
    unique_article,
)
from tests.sentinel_cluster import SentinelCluster

pytestmark = pytest.mark.slow
StartWorker = Callable[..., WorkerProcess]

FROM_CLIENT = 60
FROM_INTAKE = 60
RECEIVED = re.compile(r"Task (\S+)\[([^\]]+)\] received")
ALREADY_DONE = re.compile(r"job (\S+) already succeeded")


@dataclass
class Stack:
    """tarjama on a Sentinel-managed Redis: settings, a client, processes, and their logs."""

    cluster: SentinelCluster
    env: dict[str, str]
    settings: Settings
    client: TarjamaClient
    redis: Redis
    worker: WorkerProcess
    intake: IntakeProcess
    metrics_port: int
    metrics: subprocess.Popen[bytes]
    jobs: list[str] = field(default_factory=list)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tarjama.worker.cli", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def scrape(self) -> str:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=30) as reply:
            return str(reply.read().decode())


@pytest.fixture
def stack(base_env: dict[str, str], worker_factory: StartWorker, tmp_path: Path) -> Iterator[Stack]:
    with SentinelCluster() as cluster:
        env = {
            **base_env,
            **cluster.env(),
            # a job delivered but never acknowledged comes back soon (the limits nest below)
            "TARJAMA_VISIBILITY_TIMEOUT": "20",
            "TARJAMA_TIME_LIMIT": "18",
            "TARJAMA_SOFT_TIME_LIMIT": "15",
        }
        settings = settings_from_env(env)
        worker = worker_factory("--concurrency=1", env=env, name=f"ha{uuid.uuid4().hex[:6]}")
        full_env = {**os.environ, **env}
        intake = IntakeProcess(full_env, tmp_path / "intake.log", name="ha").start()
        port = free_port()
        with (tmp_path / "metrics.log").open("wb") as log:
            metrics = subprocess.Popen(
                [sys.executable, "-m", "tarjama.worker.cli", "metrics", f"--port={port}"],
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        client = TarjamaClient(settings)
        redis = redis_client(settings)
        stack = Stack(cluster, env, settings, client, redis, worker, intake, port, metrics)
        try:
            yield stack
        finally:
            metrics.terminate()
            metrics.wait(timeout=10)
            intake.stop(grace=10)
            worker.stop(grace=10)
            client.close()
            redis.close()


def _queue_burst(stack: Stack, real_article: str) -> str:
    """A long job running, and 120 short ones queued behind it; returns the long one's id."""
    client, redis, settings = stack.client, stack.redis, stack.settings
    first = client.submit(long_article(real_article, copies=5))
    running_pid(client, stack.worker.nodename, first)
    stack.jobs.append(first)
    for i in range(FROM_CLIENT):
        stack.jobs.append(client.submit(unique_article(f"خبر رقم {i} من العميل.")))
    for i in range(FROM_INTAKE):
        job_id = f"intake-{uuid.uuid4().hex}"
        article = unique_article(f"خبر رقم {i} من التدفق.")
        redis.xadd(settings.intake_stream, {"article": json.dumps(article), "job_id": job_id})
        stack.jobs.append(job_id)
    deadline = time.monotonic() + 120
    while redis.xlen(settings.intake_stream) or redis.llen(settings.translate_queue) < 100:
        assert time.monotonic() < deadline, "the burst was never queued"
        time.sleep(0.05)
    assert client.status(first).state in ("STARTED", "PROGRESS"), "the long job is not running"
    return first


def _submit_during_failover(stack: Stack) -> None:
    """A submit and an intake entry while there is no master: both wait for the new one."""
    stack.jobs.append(stack.client.submit(unique_article("خبر أثناء التبديل.")))
    job_id = f"intake-{uuid.uuid4().hex}"
    article = json.dumps(unique_article("خبر من التدفق أثناء التبديل."))
    stack.redis.xadd(stack.settings.intake_stream, {"article": article, "job_id": job_id})
    stack.jobs.append(job_id)


def _wait_done(client: TarjamaClient, jobs: list[str], timeout: float) -> list[JobStatus]:
    deadline = time.monotonic() + timeout
    pending = list(dict.fromkeys(jobs))
    while pending:
        pending = [j for j in pending if not client.status(j).done]
        assert time.monotonic() < deadline, f"{len(pending)} jobs never ended: {pending[:3]}"
        time.sleep(0.2)
    return [client.status(j) for j in jobs]


def _wait_settled(stack: Stack, timeout: float = 90) -> None:
    """Until nothing is queued or delivered-but-unacknowledged: redeliveries are over."""
    queues = consumed_queues(stack.settings, STAGES)
    deadline = time.monotonic() + timeout
    while stack.redis.hlen(UNACKED_KEY) or any(stack.redis.llen(q) for q in queues):
        assert time.monotonic() < deadline, "messages still queued or unacknowledged"
        time.sleep(0.2)


@dataclass(frozen=True)
class Runs:
    """Per job: deliveries of its stages, and how many of them computed (not the stored
    result returned again), from the worker's log."""

    deliveries: Counter[str]
    computed: Counter[str]

    @classmethod
    def from_log(cls, path: Path) -> Runs:
        text = path.read_text(errors="replace")
        deliveries = Counter(job for _, job in RECEIVED.findall(text))
        returned = Counter(ALREADY_DONE.findall(text))
        return cls(deliveries, deliveries - returned)

    def twice(self, jobs: list[str], stages: int = 2) -> tuple[int, int]:
        """(jobs delivered more often than they have stages, jobs computed more often)."""
        return (
            sum(1 for j in set(jobs) if self.deliveries[j] > stages),
            sum(1 for j in set(jobs) if self.computed[j] > stages),
        )


def _recovery_s(redis: Redis, stream: str, since_ms: float) -> float:
    """From ``since_ms`` to the first job end published after it (stream ids are ms)."""
    first: Any = redis.xrange(stream, min=f"{int(since_ms) + 1}-0", count=1)
    assert first, "no job ended after the failover"
    return (int(first[0][0].split(b"-")[0]) - since_ms) / 1000


def _check_outcome(stack: Stack, statuses: list[JobStatus], contract: Contract) -> None:
    """Every job stored exactly once as a success; every process carried on unrestarted."""
    assert len({s.job_id for s in statuses}) == len(statuses)
    failed = [(s.job_id, s.error) for s in statuses if not s.ok]
    assert not failed, failed
    for status in statuses:  # one stored result per job, and it is the final one
        raw = stack.redis.get(result_key(status.job_id))
        assert raw is not None
        assert json.loads(raw)["status"] == "SUCCESS"
    contract.check_stored_results(stack.redis)
    for process in (stack.worker, stack.intake):
        assert process.alive, process.log_tail()
    assert stack.metrics.poll() is None
    # the same processes serve new work on the new master
    stack.worker.wait_ready(stack.client.app, timeout=60)
    late = f"intake-{uuid.uuid4().hex}"
    article = json.dumps(unique_article("خبر بعد التبديل."))
    stack.redis.xadd(stack.settings.intake_stream, {"article": article, "job_id": late})
    assert stack.client.wait(late, timeout=120).ok
    assert stack.client.wait(stack.client.submit(unique_article("خبر آخر.")), timeout=120).ok
    stats = json.loads(stack.cli("stats"))
    assert stats["jobs|succeeded"] >= 2
    assert "tarjama_jobs_total" in stack.scrape()


def _report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print(f"\nfailover: {line}")


def test_every_tarjama_client_and_flower_follow_the_master(stack: Stack, tmp_path: Path) -> None:
    # Given tarjama's own client, Celery's result backend and its broker, all in use, and
    # Flower watching the worker
    client = stack.client
    job_id = f"follow-{uuid.uuid4().hex}"
    assert client.ledger.mark_submitted(job_id)
    client.app.backend.store_result(job_id, {"n": 1}, "SUCCESS")
    with client.app.connection_for_write() as connection:
        connection.default_channel.client.ping()
    with FlowerProcess(stack.env, tmp_path / "flower.log") as flower:
        before = client.submit(unique_article("خبر قبل السقوط."))
        assert client.wait(before, timeout=120).ok
        flower.wait_task(before)
        events = stack.cluster.watch()
        # When the master is SIGKILLed and Sentinel promotes the replica
        stack.cluster.kill_master()
        _, port = events.switched(timeout=60)
        events.close()
        # Then each of them works on the new master, without a restart
        with stack.cluster.redis(port) as new_master:
            client.ledger.confirm_submitted(job_id)
            assert new_master.get(client.ledger.submitted_key(job_id)) == b"sent"
            client.app.backend.store_result(f"{job_id}-2", {"n": 2}, "SUCCESS")
            assert new_master.exists(result_key(f"{job_id}-2"))
            assert client.status(job_id).result == {"n": 1}
            queue = f"follow-{uuid.uuid4().hex}"
            client.app.send_task("tarjama.translate", args=[{"text": "نص."}], queue=queue)
            assert new_master.llen(queue) == 1
        assert json.loads(stack.cli("stats"))["jobs|succeeded"] >= 1
        # and Flower sees the jobs that run on the new master, and its queue lengths
        after = client.submit(unique_article("خبر بعد السقوط."))
        assert client.wait(after, timeout=120).ok
        flower.wait_task(after)
        assert flower.get("/api/queues/length")[0] == 200


def test_sigkill_mid_burst_every_job_ends_in_one_stored_result(
    stack: Stack, real_article: str, contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a long job running and 120 jobs queued behind it (client and intake)
    _queue_burst(stack, real_article)
    queued = stack.redis.llen(stack.settings.translate_queue)
    events = stack.cluster.watch()
    # When the master is SIGKILLed mid-burst, and jobs keep coming while there is none
    killed_ms = time.time() * 1000
    stack.cluster.kill_master()
    _submit_during_failover(stack)
    events.switched(timeout=60)
    switched_s = (time.time() * 1000 - killed_ms) / 1000
    events.close()
    # Then every job ends in one stored success, nothing stays queued or unacknowledged
    statuses = _wait_done(stack.client, stack.jobs, timeout=300)
    _wait_settled(stack)
    _check_outcome(stack, statuses, contract)
    recovery_s = _recovery_s(stack.redis, stack.settings.results_stream, killed_ms)
    delivered, computed = Runs.from_log(stack.worker.log_path).twice(stack.jobs)
    _report(
        capsys,
        f"SIGKILL with {queued} queued and 1 running: Sentinel switched after "
        f"{switched_s:.1f}s (upper bound), the first job ended {recovery_s:.1f}s after the "
        f"kill; {len(statuses)} jobs, 0 lost, {delivered} delivered twice, {computed} "
        "computed twice",
    )


def test_bare_sentinel_failover_mid_burst_loses_no_job(
    stack: Stack, real_article: str, contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a long job running and 120 jobs queued behind it
    _queue_burst(stack, real_article)
    old = stack.cluster.master_port()
    events = stack.cluster.watch()
    # When an operator switches the master with a bare SENTINEL FAILOVER
    started = time.monotonic()
    stack.cluster.planned_failover()
    events.switched(timeout=60)
    events.close()
    # (the old master takes the writes of clients still connected to it until Sentinel
    # demotes it, about ten seconds later; those writes are then thrown away)
    stack.cluster.wait_replica(old, timeout=60)
    demoted_s = time.monotonic() - started
    # Then the worker and the intake redo what they wrote there: every job ends in one
    # stored success
    statuses = _wait_done(stack.client, stack.jobs, timeout=300)
    _wait_settled(stack)
    _check_outcome(stack, statuses, contract)
    delivered, computed = Runs.from_log(stack.worker.log_path).twice(stack.jobs)
    _report(
        capsys,
        f"bare SENTINEL FAILOVER: old master demoted {demoted_s:.1f}s later; "
        f"{len(statuses)} jobs, 0 lost, {delivered} delivered twice, {computed} computed twice",
    )


class Producer:
    """A long-lived producer submitting a job every 20 ms in a thread, as a CMS hook would."""

    def __init__(self, settings: Settings) -> None:
        self.client = TarjamaClient(settings)
        self.sent: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.sent.append(self.client.submit(unique_article("خبر من منتج دائم.")))
            except Exception as exc:  # counted: the test says which
                self.errors.append(repr(exc))
        self.client.close()  # in this thread: Celery keeps a result backend per thread

    def __enter__(self) -> Producer:
        self._thread.start()
        while not self.sent:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def test_tarjama_failover_mid_burst_loses_nothing_while_producers_submit(
    stack: Stack, real_article: str, contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a long job running, 120 jobs queued behind it, and a producer submitting
    _queue_burst(stack, real_article)
    old = stack.cluster.master_port()
    with Producer(stack.settings) as producer:
        # When the master is switched with `tarjama failover`
        started = time.monotonic()
        said = stack.cli("failover")
        switch_s = time.monotonic() - started
        time.sleep(1.0)  # the producer goes on against the new master
    # Then the old master is a replica at once, and no job is lost, the producer's neither
    assert f":{old} -> " in said
    stack.cluster.wait_replica(old, timeout=5)
    assert not producer.errors, producer.errors[:3]
    stack.jobs += producer.sent
    statuses = _wait_done(stack.client, stack.jobs, timeout=300)
    _wait_settled(stack)
    _check_outcome(stack, statuses, contract)
    delivered, computed = Runs.from_log(stack.worker.log_path).twice(stack.jobs)
    _report(
        capsys,
        f"tarjama failover: {said.strip()}, {switch_s:.1f}s in all; {len(statuses)} jobs "
        f"({len(producer.sent)} submitted during the switch), 0 lost, {delivered} delivered "
        f"twice, {computed} computed twice",
    )


def test_a_bare_sentinel_failover_loses_a_steady_producers_submissions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why `tarjama failover` exists: measured on Redis's own behaviour (no worker)."""
    with SentinelCluster() as cluster:
        settings = settings_from_env(cluster.env())
        old = cluster.master_port()
        with Producer(settings) as producer:
            # When the master is switched with a bare SENTINEL FAILOVER while it submits
            events = cluster.watch()
            cluster.planned_failover()
            events.switched(timeout=60)
            events.close()
            cluster.wait_replica(old, timeout=60)
            # Then the submissions the old master took after the switch are gone
        redis = cluster.redis(cluster.master_port())
        queued = {json.loads(m)["headers"]["id"] for m in redis.lrange("tarjama.translate", 0, -1)}
        lost = [j for j in producer.sent if j not in queued]
        redis.close()
    assert lost, "a bare SENTINEL FAILOVER lost nothing: update README and tarjama failover"
    _report(
        capsys,
        f"bare SENTINEL FAILOVER with a producer submitting every 20 ms: {len(lost)} of "
        f"{len(producer.sent)} acknowledged submissions lost",
    )
