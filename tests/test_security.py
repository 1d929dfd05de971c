"""Security: a password in the Redis URL, JSON only, no article text in logs."""

from __future__ import annotations

import uuid

import pytest

from tarjama.tasks.client import SubmitError
from tarjama.worker.embedded import EmbeddedRedis, free_port
from tarjama.worker.subprocesses import WorkerProcess
from tests.conftest import ClientFor, StartWorker
from tests.helpers import own_queues, unique_article

pytestmark = pytest.mark.slow


def test_redis_password_in_the_url(worker_factory: StartWorker, client_for: ClientFor) -> None:
    # Given a Redis that demands a password
    with EmbeddedRedis(extra_args=("--requirepass", "s3cret")) as redis:
        url = redis.url.replace("redis://", "redis://:s3cret@")
        env = {**own_queues("auth"), "TARJAMA_REDIS_URL": url}
        # When worker and client carry it in the URL, jobs run
        worker_factory("--concurrency=1", env=env, name="auth")
        assert client_for(env).wait(client_for(env).submit(unique_article("خبر.")), timeout=60).ok
        # and a client with a wrong password is refused at submit time, nothing queued
        wrong = client_for(
            {**env, "TARJAMA_REDIS_URL": redis.url.replace("redis://", "redis://:nope@")}
        )
        with pytest.raises(SubmitError):
            wrong.submit(unique_article("خبر آخر."))


def test_logs_never_print_whole_articles(
    worker: WorkerProcess, client_for: ClientFor, real_article: str
) -> None:
    # Given an article whose tail carries a marker far beyond the first 80 characters
    marker = f"سر{uuid.uuid4().hex}"
    job = unique_article(f"{real_article}\n{marker} في آخر المقال.")
    client = client_for({})
    # When it is processed (successfully) and when it fails validation
    assert client.wait(client.submit(job), timeout=120).ok
    bad = {**job, "text": job["text"] + "\x00"}
    assert client.wait(client.submit(bad), timeout=60).error is not None
    # Then the worker's log never contains the article's tail
    log = worker.log_path.read_text(errors="replace")
    assert marker not in log
    assert real_article.splitlines()[5] not in log


def test_no_password_in_a_submit_error_of_a_sentinel_deployment(client_for: ClientFor) -> None:
    # Given Sentinels that cannot be reached, with the master's password in every address
    ports = [free_port() for _ in range(3)]
    url = ";".join(f"sentinel://:s3cret@127.0.0.1:{port}/0" for port in ports)
    env = {
        "TARJAMA_REDIS_URL": url,
        "TARJAMA_REDIS_SENTINEL_MASTER": "tarjama",
        "TARJAMA_REDIS_FAILOVER_WAIT": "1",
    }
    client = client_for(env)
    # When a job is submitted
    with pytest.raises(SubmitError) as caught:
        client.submit(unique_article("خبر."))
    # Then the error says where, without the password
    assert "s3cret" not in str(caught.value)
    assert f"127.0.0.1:{ports[2]}" in str(caught.value)
