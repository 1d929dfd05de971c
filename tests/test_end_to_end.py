"""Articles through the real queue: a redis-server, a prefork ``tarjama worker``, tiny models."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.results import result_key
from tarjama.worker.subprocesses import WorkerProcess
from tarjama.worker.text import split_paragraphs
from tests.conftest import ClientFor, StartWorker
from tests.helpers import run_job, unique_article

pytestmark = pytest.mark.usefixtures("worker")


def test_real_article_end_to_end(client: TarjamaClient, real_article: str) -> None:
    # Given the real article
    job = unique_article(real_article, title="مقاتلو داعش الأجانب يفرون عبر تركيا")
    # When it goes through the queue and a prefork worker
    status = run_job(client, job)
    # Then one stored success holds the translation, paragraph by paragraph, and a summary
    assert status.ok, status.error
    result = status.result
    assert result is not None
    paragraphs = split_paragraphs(real_article)
    assert len(paragraphs) == 18  # 17 paragraphs and the agency tag line
    assert result["counts"]["paragraphs"] == len(result["paragraphs"]) == 18
    assert len(result["text"].split("\n\n")) == 18
    assert result["title"]
    sources = [pair["source"] for p in result["paragraphs"] for pair in p["sentences"]]
    assert "".join(sources).replace(" ", "") == "".join(paragraphs).replace(" ", "")
    assert result["summary"]["text"]
    assert result["summary"]["style"] == "standard"
    assert result["models"]["translation"]["engine"] == "ctranslate2"  # the default
    assert result["timings"]["translation_s"] > 0
    assert result["timings"]["summary_s"] > 0
    assert result["article"]["id"] == job["id"]


def test_result_is_readable_raw_from_redis(client: TarjamaClient, redis_url: str) -> None:
    # Given a finished job
    status = run_job(client, unique_article("ذهب الولد إلى المدرسة."))
    assert status.ok
    # When another language reads the documented key as plain JSON
    raw = Redis.from_url(redis_url).get(result_key(status.job_id))
    assert raw is not None
    stored = json.loads(raw)
    # Then it is Celery's envelope around the result document
    assert stored["status"] == "SUCCESS"
    assert stored["task_id"] == status.job_id
    assert stored["result"] == status.result
    # and it expires with the result TTL
    ttl = Redis.from_url(redis_url).ttl(result_key(status.job_id))
    assert 0 < ttl <= client.settings.result_ttl


def test_idempotent_resubmit_returns_stored_result(client: TarjamaClient) -> None:
    # Given an article that was processed once
    job = unique_article("أعلنت الوزارة عن خطة جديدة للتعليم.")
    first = run_job(client, job)
    assert first.ok
    # When the same article with the same options is submitted again
    again = client.submit(job)
    # Then the id is the same and the stored result is returned, not recomputed
    assert again == first.job_id
    assert client.wait(again, timeout=5).result == first.result
    # while another option (style) is another job
    other = client.submit({**job, "summary_style": "brief"})
    assert other != first.job_id
    assert client.wait(other, timeout=120).ok


def test_translate_and_summarize_tasks(client: TarjamaClient) -> None:
    translated = run_job(client, unique_article("قال الوزير إن المشروع مهم."), kind="translation")
    assert translated.ok
    assert translated.result is not None
    assert translated.result["summary"] is None
    assert translated.result["kind"] == "translation"
    summary = run_job(
        client,
        unique_article("The minister said the project is important. It cost a lot."),
        kind="summary",
    )
    assert summary.ok
    assert summary.result is not None
    assert summary.result["kind"] == "summary"
    assert summary.result["text"] is None
    assert summary.result["summary"]["text"]


BAD_JOBS = [
    pytest.param({"text": ""}, "invalid_article", "empty", id="empty-text"),
    pytest.param({"text": "   \n\t "}, "invalid_article", "whitespace", id="whitespace-text"),
    pytest.param({"text": 12345}, "invalid_article", "text", id="text-not-a-string"),
    pytest.param({"title": "بلا نص"}, "invalid_article", "text", id="missing-text"),
    pytest.param(["not", "an", "object"], "invalid_article", "JSON object", id="not-an-object"),
    pytest.param({"text": "نص", "colour": "red"}, "invalid_article", "unknown field", id="extra"),
    pytest.param({"text": "ن" * 100_001}, "article_too_large", "100,000", id="too-large"),
    pytest.param({"text": "نص", "summary_style": "poem"}, "unknown_style", "standard", id="style"),
]


@pytest.mark.parametrize(("job", "code", "hint"), BAD_JOBS)
def test_bad_input_is_a_stored_failure_and_worker_lives(
    client: TarjamaClient, worker: WorkerProcess, job: object, code: str, hint: str
) -> None:
    children = worker.children()
    # Given a bad job sent through the real queue (with a unique id)
    job_id = client.app.send_task(
        "tarjama.process_article", args=[job], task_id=f"bad-{uuid.uuid4().hex}"
    ).id
    # When the worker has handled it
    status = client.wait(job_id, timeout=60)
    # Then it is a stored failure with the code and a message that helps
    assert status.state == "FAILURE"
    assert status.error is not None
    assert status.error["code"] == code
    assert hint in status.error["message"]
    # and the worker, with the same pool processes, serves the next job
    assert worker.alive
    assert run_job(client, unique_article("الجو جميل اليوم.")).ok
    assert worker.children() == children


def test_failure_is_readable_raw_from_redis(client: TarjamaClient, redis_url: str) -> None:
    status = run_job(client, {"text": "", "id": uuid.uuid4().hex})
    stored = json.loads(Redis.from_url(redis_url).get(result_key(status.job_id)) or b"{}")
    assert stored["status"] == "FAILURE"
    assert stored["result"]["exc_type"] == "JobFailed"
    code, message = stored["result"]["exc_message"]
    assert code == "invalid_article"
    assert "empty" in message


def test_failed_job_is_not_retried(client: TarjamaClient, redis_url: str) -> None:
    # Given a permanently bad job
    status = run_job(client, {"text": " ", "id": uuid.uuid4().hex})
    assert status.error is not None
    # When time passes, it stays failed: no retry was scheduled
    time.sleep(1.0)
    assert client.status(status.job_id).state == "FAILURE"


def test_model_unavailable_is_a_stored_failure(
    worker_factory: StartWorker, client_for: ClientFor, tmp_path: Path
) -> None:
    # Given a worker whose translation model path does not exist (on queues of its own)
    queues = {
        "TARJAMA_TRANSLATE_QUEUE": "broken.translate",
        "TARJAMA_SUMMARIZE_QUEUE": "broken.sum",
    }
    env = {**queues, "TARJAMA_TRANSLATION_MODEL": str(tmp_path / "no-such-model")}
    broken = worker_factory("--concurrency=1", "--skip-preflight", env=env, name="broken")
    client = client_for(env)
    # When an article arrives
    status = run_job(client, unique_article("خبر عاجل."))
    # Then the job fails with model_unavailable and a how-to, and the worker lives
    assert status.error is not None
    assert status.error["code"] == "model_unavailable"
    assert "TARJAMA_TRANSLATION_MODEL" in status.error["message"]
    assert broken.alive
    assert run_job(client, unique_article("The plant opened."), kind="summary").ok
