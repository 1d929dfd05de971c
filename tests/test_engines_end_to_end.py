"""Each engine through the real queue: a prefork ``tarjama worker`` of its own, tiny models.

The CTranslate2 worker also shows the fork rule at work: its models live only in the pool
processes (created after the fork), and no process of it loads torch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.subprocesses import WorkerProcess
from tests.conftest import StartWorker
from tests.helpers import run_job, settings_from_env, unique_article


def _mapped(pid: int, library: str) -> bool:
    """Whether a process has a shared library of that name mapped (i.e. loaded)."""
    return library in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(
    ("engine", "compute_type"), [("ctranslate2", "int8"), ("transformers", "float32")]
)
def test_article_through_the_queue_with_each_engine(
    worker_factory: StartWorker,
    base_env: dict[str, str],
    real_article: str,
    engine: str,
    compute_type: str,
) -> None:
    # Given a prefork worker with two processes running this engine, on queues of its own
    env = {
        "TARJAMA_ENGINE": engine,
        "TARJAMA_TRANSLATE_QUEUE": f"{engine}.translate",
        "TARJAMA_SUMMARIZE_QUEUE": f"{engine}.summarize",
    }
    worker: WorkerProcess = worker_factory("--concurrency=2", env=env, name=engine)
    client = TarjamaClient(settings_from_env({**base_env, **env}))
    try:
        # When the real article goes through the queue
        status = run_job(client, unique_article(real_article, title="عنوان الخبر"), timeout=240)
    finally:
        client.close()
    # Then it is translated and summarized by that engine
    assert status.ok, status.error
    result = status.result
    assert result is not None
    for role in ("translation", "summary"):
        assert result["models"][role]["engine"] == engine
        assert result["models"][role]["compute_type"] == compute_type
    assert result["counts"]["paragraphs"] == 18
    assert all(s["translation"] for p in result["paragraphs"] for s in p["sentences"])
    assert result["summary"]["text"]
    if engine == "ctranslate2":
        # and CTranslate2 was loaded in each pool process, after the fork, never in the
        # parent; and no process of this worker loaded torch
        children = worker.children()
        assert len(children) == 2
        assert not _mapped(worker.pid, "ctranslate2")
        assert all(_mapped(pid, "ctranslate2") for pid in children)
        assert not any(_mapped(pid, "libtorch") for pid in [worker.pid, *children])
