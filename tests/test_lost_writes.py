"""What a Redis failover can lose, and how a resubmit makes up for it.

Replication to a Sentinel replica is asynchronous: the last writes a dying master
acknowledged may be missing on the promoted replica. The losses that matter here are
simulated on one real Redis by deleting exactly what a failover would lose: a queued
job's message (its submission mark says ``sent``), and a finished job's stored result (its
message was acknowledged). A resubmit must then send the job again; a job that is really
queued or running must not be sent twice.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Callable

import pytest
from redis import Redis
from redis.exceptions import ResponseError

from tarjama.tasks.client import SubmitError
from tarjama.worker.broker import UNACKED_KEY, holds_job
from tarjama.worker.connections import cannot_write
from tarjama.worker.embedded import EmbeddedRedis
from tarjama.worker.results import result_key
from tarjama.worker.subprocesses import WorkerProcess
from tests.conftest import ClientFor
from tests.helpers import long_article, own_queues, running_pid, unique_article

StartWorker = Callable[..., WorkerProcess]


def _queued_ids(redis: Redis, queue: str) -> list[str]:
    return [json.loads(raw)["headers"]["id"] for raw in redis.lrange(queue, 0, -1)]


def test_a_queued_job_is_not_sent_twice(client_for: ClientFor, redis_client: Redis) -> None:
    # Given a job waiting in a queue that no worker consumes yet
    env = own_queues(f"wait-{uuid.uuid4().hex[:6]}")
    client = client_for(env)
    queue = env["TARJAMA_TRANSLATE_QUEUE"]
    try:
        job = unique_article("خبر ينتظر دوره.")
        assert client.enqueue(job).outcome == "sent"
        # When it is submitted again
        again = client.enqueue(job)
        # Then it is reported queued, and the queue holds one message of it
        assert again.outcome == "queued"
        assert _queued_ids(redis_client, queue) == [again.job_id]
    finally:
        redis_client.delete(queue)
        client.close()


def test_a_queued_job_whose_message_was_lost_is_sent_again(
    client_for: ClientFor, redis_client: Redis
) -> None:
    # Given a queued job whose message a failover lost (its mark still says "sent")
    env = own_queues(f"lost-{uuid.uuid4().hex[:6]}")
    client = client_for(env)
    queue = env["TARJAMA_TRANSLATE_QUEUE"]
    try:
        job = unique_article("خبر ضاعت رسالته.")
        job_id = client.enqueue(job).job_id
        assert client.ledger.submission(job_id) == "sent"
        redis_client.delete(queue)
        # When the producer submits it again
        again = client.enqueue(job)
        # Then it is sent again: its message is back on the queue
        assert again.outcome == "sent"
        assert _queued_ids(redis_client, queue) == [job_id]
    finally:
        redis_client.delete(queue)
        client.close()


@pytest.mark.usefixtures("worker")
def test_a_job_whose_result_was_lost_is_computed_again(
    client_for: ClientFor, redis_client: Redis
) -> None:
    # Given a job that succeeded and whose stored result a failover lost
    client = client_for({})
    job = unique_article("خبر ضاعت نتيجته.")
    job_id = client.submit(job)
    assert client.wait(job_id, timeout=120).ok
    redis_client.delete(result_key(job_id))
    assert client.status(job_id).state == "PENDING"
    # When it is submitted again
    again = client.enqueue(job)
    # Then it is computed again and its result stored
    assert again.outcome == "sent"
    status = client.wait(job_id, timeout=120)
    assert status.ok, status.error


@pytest.mark.slow
def test_a_running_job_whose_state_was_lost_is_not_sent_again(
    worker_factory: StartWorker, client_for: ClientFor, redis_client: Redis, real_article: str
) -> None:
    # Given a long job running on a worker, whose STARTED/PROGRESS state a failover lost
    env = own_queues(f"run-{uuid.uuid4().hex[:6]}")
    worker = worker_factory("--concurrency=1", env=env, name=f"lostst{uuid.uuid4().hex[:4]}")
    client = client_for(env)
    job = long_article(real_article)
    job_id = client.submit(job)
    pid = running_pid(client, worker.nodename, job_id)
    os.kill(pid, signal.SIGSTOP)  # hold it mid-job while we look
    try:
        redis_client.delete(result_key(job_id))
        assert holds_job(redis_client, job_id, [env["TARJAMA_TRANSLATE_QUEUE"]])
        assert redis_client.hlen(UNACKED_KEY) >= 1
        # When it is submitted again
        again = client.enqueue(job)
    finally:
        os.kill(pid, signal.SIGCONT)
    # Then it is reported queued (its message is delivered, unacknowledged), not sent again
    assert again.outcome == "queued"
    assert client.wait(job_id, timeout=180).ok
    assert _queued_ids(redis_client, env["TARJAMA_TRANSLATE_QUEUE"]) == []


def test_a_master_without_its_replicas_refuses_a_submit_clearly(client_for: ClientFor) -> None:
    # Given a Redis that must have a replica to take writes (min-replicas-to-write) and has none
    with EmbeddedRedis(extra_args=("--min-replicas-to-write", "1")) as lonely:
        client = client_for({"TARJAMA_REDIS_URL": lonely.url})
        refused = Redis.from_url(lonely.url)
        with pytest.raises(ResponseError) as caught:
            refused.set("probe", 1)
        refused.close()
        # Then the worker counts its refusal as Redis being unavailable (a retry, not a bug)
        assert cannot_write(caught.value)
        # and a submit fails clearly, with nothing queued
        with pytest.raises(SubmitError, match="nothing was queued"):
            client.submit(unique_article("خبر بلا نسخة احتياطية."))
        client.close()
