"""Hostile input: each case ends in a coded failure or a rejection; the worker stays up and
its memory comes back."""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.subprocesses import WorkerProcess
from tests.conftest import ClientFor
from tests.helpers import unique_article

pytestmark = pytest.mark.slow
QUEUES = {"TARJAMA_TRANSLATE_QUEUE": "hostile.translate", "TARJAMA_SUMMARIZE_QUEUE": "hostile.sum"}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Hostile:
    def __init__(self, worker: WorkerProcess, client: TarjamaClient) -> None:
        self.worker = worker
        self.client = client

    def send(self, job: Any, task: str = "tarjama.process_article") -> str:
        job_id = f"hostile-{uuid.uuid4().hex}"
        self.client.app.send_task(task, args=[job], task_id=job_id)
        return job_id

    def publish_raw(self, body: bytes, content_type: str, task: str = "tarjama.translate") -> str:
        """A message straight onto the queue, bypassing Celery's serializer."""
        job_id = f"raw-{uuid.uuid4().hex}"
        headers = {"lang": "py", "task": task, "id": job_id, "root_id": job_id, "argsrepr": "()"}
        with self.client.app.connection_for_write() as conn:
            conn.Producer().publish(
                body,
                exchange="",
                routing_key=QUEUES["TARJAMA_TRANSLATE_QUEUE"],
                content_type=content_type,
                content_encoding="binary",
                headers=headers,
                serializer=None,
            )
        return job_id

    def assert_serves(self) -> None:
        assert self.worker.alive
        status = self.client.wait(self.client.submit(unique_article("ما زال يعمل.")), timeout=60)
        assert status.ok, status.error

    def queue_empty(self) -> bool:
        redis = self.client.app.backend.client
        return redis.llen(QUEUES["TARJAMA_TRANSLATE_QUEUE"]) == 0 and not redis.hlen("unacked")


@pytest.fixture(scope="module")
def hostile(worker_factory: Callable[..., WorkerProcess], client_for: ClientFor) -> Hostile:
    worker = worker_factory("--concurrency=1", env=QUEUES, name="hostile")
    return Hostile(worker, client_for(QUEUES))


CODED = [
    pytest.param({"text": "ن" * 10_000_000}, "article_too_large", id="10MB-text"),
    pytest.param({"text": "خبر\ud800عاجل"}, "invalid_article", id="lone-surrogate"),
    pytest.param({"text": "خبر\x00عاجل"}, "invalid_article", id="NUL-bytes"),
    pytest.param({"text": "ب\n" * 100_000}, "article_too_large", id="100k-one-letter-paragraphs"),
    pytest.param(
        {"text": "نص", "metadata": {"a": ["x"] * 10}, "id": "x" * 10_000},
        "invalid_article",
        id="oversized-id",
    ),
]


@pytest.mark.parametrize(("job", "code"), CODED)
def test_coded_failure(hostile: Hostile, job: dict[str, Any], code: str) -> None:
    status = hostile.client.wait(hostile.send(job), timeout=120)
    assert status.error is not None
    assert status.error["code"] == code
    hostile.assert_serves()


SURVIVED = [
    pytest.param({"text": "ب\n" * 40_000}, id="40k-one-letter-paragraphs"),
    pytest.param({"text": "\u202eخبر عاجل\u202c عن \u200fالطقس\u200e."}, id="bidi-overrides"),
    pytest.param(
        {"text": "<div>" * 8000 + "<p>خبر عاجل عن الطقس.</p>" + "</div>" * 8000, "format": "html"},
        id="deeply-nested-html",
    ),
]


@pytest.mark.parametrize("job", SURVIVED)
def test_handled_without_harm(hostile: Hostile, job: dict[str, Any]) -> None:
    status = hostile.client.wait(hostile.send({**job, "id": uuid.uuid4().hex}), timeout=300)
    assert status.done
    if not status.ok:
        assert status.error is not None
        assert status.error["code"] in ("invalid_article", "article_too_large")
    hostile.assert_serves()


class _Exploit:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.path),))


def test_pickle_body_is_rejected_never_executed(hostile: Hostile, tmp_path: Path) -> None:
    # Given a pickle whose loading would create a file
    target = tmp_path / "pwned"
    body = pickle.dumps(((_Exploit(str(target)),), {}, {}))
    # When it is put straight on the queue
    job_id = hostile.publish_raw(body, "application/x-python-serialize")
    hostile.assert_serves()
    # Then it was never unpickled, nothing ran, and the message is gone
    assert not target.exists()
    assert hostile.client.status(job_id).state == "PENDING"
    assert hostile.queue_empty()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"text: hello\n", "application/x-yaml"),
        (b'[[{"text": "\xff\xfe broken utf-8"}], {}, {}]', "application/json"),
        (b"\x00\x01\x02", "application/octet-stream"),
    ],
    ids=["yaml", "invalid-utf8-json", "binary"],
)
def test_undecodable_or_foreign_bodies_are_rejected(
    hostile: Hostile, body: bytes, content_type: str
) -> None:
    hostile.publish_raw(body, content_type)
    hostile.assert_serves()
    assert hostile.queue_empty()


def test_unknown_task_name_is_a_stored_failure(hostile: Hostile) -> None:
    job_id = f"unknown-{uuid.uuid4().hex}"
    hostile.client.app.send_task(
        "tarjama.transmogrify",
        args=[{"text": "نص"}],
        task_id=job_id,
        queue=QUEUES["TARJAMA_TRANSLATE_QUEUE"],
    )
    status = hostile.client.wait(job_id, timeout=60)
    assert status.error is not None
    assert status.error["code"] == "unknown_task"
    hostile.assert_serves()


def test_memory_comes_back(hostile: Hostile) -> None:
    # Given the worker after a warm-up job
    hostile.assert_serves()
    pids = [hostile.worker.pid, *hostile.worker.children()]
    before = {pid: rss_mb(pid) for pid in pids}
    # When it handles big hostile inputs again
    for _ in range(3):
        hostile.client.wait(hostile.send({"text": "ن" * 10_000_000}), timeout=120)
        hostile.client.wait(
            hostile.send({"text": "ب\n" * 40_000, "id": uuid.uuid4().hex}), timeout=300
        )
    hostile.assert_serves()
    # Then its processes are not holding on to that memory (same processes, bounded growth)
    after = {pid: rss_mb(pid) for pid in pids}
    for pid in pids:
        assert after[pid] - before[pid] < 150, (pid, before[pid], after[pid])
