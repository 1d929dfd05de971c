"""Scale out: stages on their own queues, workers by role, urgent news first."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections.abc import Callable

import pytest

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.metrics import Metrics
from tarjama.worker.settings import load_settings
from tarjama.worker.subprocesses import WorkerProcess
from tests.conftest import ClientFor
from tests.helpers import TaskEvents, long_article, own_queues, unique_article

StartWorker = Callable[..., WorkerProcess]


def test_role_settings_override_concurrency_and_threads() -> None:
    settings = load_settings(
        concurrency=4, torch_threads=1, summarize_concurrency=1, summarize_torch_threads=4
    )
    summarize = settings.for_role("summarize")
    assert (summarize.worker_concurrency, summarize.torch_threads) == (1, 4)
    translate = settings.for_role("translate")
    assert (translate.worker_concurrency, translate.torch_threads) == (4, 1)


def test_queues_by_role_most_urgent_first(client: TarjamaClient) -> None:
    app = client.app
    assert app.queues_for("translate") == [
        "tarjama.translate.urgent",
        "tarjama.translate",
        "tarjama.translate.bulk",
    ]
    assert app.queues_for("all") == [
        "tarjama.summarize.urgent",
        "tarjama.translate.urgent",
        "tarjama.summarize",
        "tarjama.translate",
        "tarjama.summarize.bulk",
        "tarjama.translate.bulk",
    ]


@pytest.mark.slow
def test_translate_and_summarize_workers_complete_a_job_together(
    worker_factory: StartWorker, client_for: ClientFor
) -> None:
    env = own_queues("roles")
    client = client_for(env)
    # Given only a translate-only worker
    translator = worker_factory("--concurrency=1", "--role=translate", env=env, name="tr")
    job_id = client.submit(unique_article("افتتحت الحكومة محطة جديدة. وقال الوزير إنها مهمة."))
    # Then the job gets translated but cannot finish alone
    deadline = time.monotonic() + 60
    while client.app.backend.client.llen("roles.summarize") == 0:
        assert time.monotonic() < deadline, "the summary stage was never queued"
        time.sleep(0.1)
    time.sleep(1)
    assert not client.status(job_id).done
    # When a summarize-only worker joins
    summarizer = worker_factory("--concurrency=1", "--role=summarize", env=env, name="sum")
    # Then together they complete it
    status = client.wait(job_id, timeout=120)
    assert status.ok, status.error
    # and each worker process loaded only its own model
    metrics = Metrics(client.app.backend.client)
    assert set(map(tuple, metrics.node_models(translator.nodename).values())) == {("translation",)}
    assert set(map(tuple, metrics.node_models(summarizer.nodename).values())) == {("summary",)}


@pytest.mark.slow
def test_urgent_job_overtakes_a_bulk_backlog(
    worker_factory: StartWorker, client_for: ClientFor, capsys: pytest.CaptureFixture[str]
) -> None:
    env = own_queues("priority")
    client = client_for(env)
    tag = uuid.uuid4().hex[:8]
    # Given 50 bulk jobs waiting in the queue
    bulk = [
        client.submit({"text": f"خبر من الأرشيف رقم {i} {tag}.", "priority": "bulk"})
        for i in range(50)
    ]
    # When an urgent job is submitted last, and the workers (2 processes) start
    urgent = client.submit({"text": f"خبر عاجل {tag}.", "priority": "urgent"})
    worker_factory("--concurrency=2", env=env, name="prio")
    assert client.wait(urgent, timeout=300).ok
    for job_id in bulk:
        assert client.wait(job_id, timeout=600).ok
    # Then it finished before at least 40 of them (by the stored completion times)
    backend = client.app.backend

    def done_at(job_id: str) -> str:
        return str(backend.get_task_meta(job_id)["date_done"])

    before = sum(done_at(job_id) < done_at(urgent) for job_id in bulk)
    with capsys.disabled():
        print(f"\n[priority] urgent job finished after {before} of 50 bulk jobs", file=sys.stderr)
    assert before <= 10


@pytest.mark.slow
def test_summarize_worker_killed_mid_job_completes_once_after_restart(
    worker_factory: StartWorker, client_for: ClientFor, real_article: str
) -> None:
    env = {
        **own_queues("sumkill"),
        "TARJAMA_VISIBILITY_TIMEOUT": "30",
        "TARJAMA_TIME_LIMIT": "28",
        "TARJAMA_SOFT_TIME_LIMIT": "25",
    }
    client = client_for(env)
    with TaskEvents(client) as events:
        worker_factory("--concurrency=1", "--role=translate", env=env, name="sktr")
        summarizer = worker_factory("--concurrency=1", "--role=summarize", env=env, name="sksum1")
        job_id = client.submit(long_article(real_article, copies=2))
        # Given the job in its summary stage
        deadline = time.monotonic() + 120
        while (client.status(job_id).progress or {}).get("stage") != "summarizing":
            assert time.monotonic() < deadline, "never reached the summary stage"
            time.sleep(0.05)
        # When the summarize worker is killed (SIGKILL, parent and pool) and started again
        os.killpg(summarizer.pid, signal.SIGKILL)
        summarizer.stop()
        worker_factory("--concurrency=1", "--role=summarize", env=env, name="sksum2")
        # Then the job completes, with its translation done once
        status = client.wait(job_id, timeout=180)
        assert status.ok, status.error
    deliveries = events.received(job_id)
    assert deliveries.count("tarjama.process_article") == 1
    assert deliveries.count("tarjama.process_article.summarize") == 2  # killed, then done
