"""The stream intake, driven the way an app with only a Redis client drives it: raw XADD and
XREAD (redis-py commands, no Celery), a real ``tarjama intake`` process, real workers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import ResponseError

from tarjama.worker.embedded import find_redis_server
from tarjama.worker.intake import FAULT_EXIT_CODE
from tarjama.worker.jobs import job_id_for
from tarjama.worker.results import JobLedger, result_key
from tarjama.worker.subprocesses import IntakeProcess
from tests.conftest import REPO, StartWorker
from tests.helpers import Contract

RESULTS = "tarjama:results"  # the session worker publishes on the default results stream
SCRIPT = REPO / "examples" / "submit-with-redis-cli.sh"
README = REPO / "README.md"

StartIntake = Callable[..., IntakeProcess]


def _launch(env: dict[str, str], logs: Path, name: str) -> IntakeProcess:
    log = logs / f"intake-{name}-{uuid.uuid4().hex[:6]}.log"
    return IntakeProcess({**os.environ, **env}, log, name=name).start()


@pytest.fixture
def start_intake(base_env: dict[str, str], tmp_path: Path) -> Iterator[StartIntake]:
    """Start ``tarjama intake`` processes with extra TARJAMA_* settings; stopped afterwards."""
    started: list[IntakeProcess] = []

    def start(name: str, env: dict[str, str]) -> IntakeProcess:
        started.append(_launch({**base_env, **env}, tmp_path, name))
        return started[-1]

    yield start
    for proc in started:
        proc.stop(grace=10)


@pytest.fixture(scope="module")
def intake(
    base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[IntakeProcess, str]]:
    """One intake on a stream of its own, feeding the session's worker: (process, stream)."""
    stream = f"test-{uuid.uuid4().hex[:8]}:intake"
    proc = _launch({**base_env, "TARJAMA_INTAKE_STREAM": stream}, tmp_path_factory.mktemp("i"), "m")
    yield proc, stream
    proc.stop(grace=10)


def isolated(**extra: str) -> dict[str, str]:
    """Settings for a test of its own: its own streams, and queues no worker consumes yet."""
    tag = uuid.uuid4().hex[:8]
    return {
        "TARJAMA_INTAKE_STREAM": f"test-{tag}:intake",
        "TARJAMA_RESULTS_STREAM": f"test-{tag}:results",
        "TARJAMA_TRANSLATE_QUEUE": f"test-{tag}.translate",
        "TARJAMA_SUMMARIZE_QUEUE": f"test-{tag}.summarize",
        **extra,
    }


def wait_until(condition: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"not within {timeout}s: {what}")


def next_event(
    redis: Redis,
    contract: Contract,
    match: Callable[[dict[str, str]], bool],
    *,
    stream: str = RESULTS,
    timeout: float = 120,
) -> dict[str, str]:
    """Follow the results stream with XREAD until an event matches (every event validates)."""
    last: bytes | str = "0-0"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply: Any = redis.xread({stream: last}, count=100, block=500)
        for _name, entries in reply or []:
            for event_id, fields in entries:
                last = event_id
                event = contract.check_event(fields)
                if match(event):
                    return event
    pytest.fail(f"no matching event on {stream} within {timeout}s")


def events_for(redis: Redis, contract: Contract, job_id: str, stream: str) -> list[dict[str, str]]:
    entries: Any = redis.xrange(stream)
    events = [contract.check_event(fields) for _id, fields in entries]
    return [event for event in events if event["job_id"] == job_id]


def stored(redis: Redis, contract: Contract, job_id: str) -> dict[str, Any]:
    """The raw stored result, as another language reads it; checked against the schema."""
    document: dict[str, Any] = json.loads(redis.get(result_key(job_id)) or b"{}")
    contract.check("result", document)
    return document


def queued_job_ids(redis: Redis, queue: str) -> list[str]:
    """Ids of the messages waiting on a queue (its Redis list and its priority lists)."""
    ids = []
    for key in redis.scan_iter(match=f"{queue}*"):
        ids += [json.loads(raw)["headers"]["id"] for raw in redis.lrange(key, 0, -1)]
    return ids


def pending(redis: Redis, stream: str, group: str = "tarjama") -> int:
    """Entries delivered to an intake and not acknowledged (0 before the group exists)."""
    try:
        return int(redis.xpending(stream, group)["pending"])
    except ResponseError:  # NOGROUP: no intake has started on the stream yet
        return 0


def xadd(redis: Redis, stream: str, **fields: str) -> str:
    return bytes(redis.xadd(stream, fields)).decode()  # type: ignore[arg-type]


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({}, id="derived-id"),
        pytest.param({"task": "tarjama.translate", "job_id": "cms-88.v2:tr"}, id="named-task-id"),
    ],
)
def test_producer_with_only_redis_commands_reads_its_result(
    intake: tuple[IntakeProcess, str], redis_client: Redis, contract: Contract, extra: Any
) -> None:
    _proc, stream = intake
    # Given an app that has only a Redis client, and an article
    job = {"text": "أعلنت الوزارة عن خطة جديدة للنقل.", "id": f"cms-{uuid.uuid4().hex}"}
    job_id = extra.get("job_id") or job_id_for("article", job)
    if "job_id" in extra:
        job_id = f"{job_id}-{uuid.uuid4().hex[:6]}"
    # When it XADDs the article and follows the results stream with XREAD
    xadd(redis_client, stream, article=json.dumps(job), **{**extra, "job_id": job_id})
    event = next_event(redis_client, contract, lambda e: e["job_id"] == job_id)
    # Then the event names the job, and the stored result is the job's
    assert event["status"] == "SUCCESS"
    assert event["task"] == extra.get("task", "tarjama.process_article")
    assert event["article_id"] == job["id"]
    result = stored(redis_client, contract, job_id)["result"]
    assert result["article"]["id"] == job["id"]
    if "task" in extra:
        assert result["kind"] == "translation"
    else:
        assert result["summary"]["text"]
    # and the entry is acknowledged and gone: the stream is a work queue (the ack follows the
    # enqueue, so a quick job may be announced a moment before its entry is acknowledged)
    wait_until(lambda: pending(redis_client, stream) == 0, 10, "the entry to be acknowledged")
    assert redis_client.xlen(stream) == 0


def test_derived_job_id_is_the_python_clients(
    intake: tuple[IntakeProcess, str], worker: Any, redis_client: Redis, contract: Contract
) -> None:
    # Given an article the intake has already answered
    _proc, stream = intake
    job = {"text": "افتتح المتحف أبوابه.", "id": f"cms-{uuid.uuid4().hex}"}
    job_id = job_id_for("article", job)
    xadd(redis_client, stream, article=json.dumps(job))
    next_event(redis_client, contract, lambda e: e["job_id"] == job_id)
    first = stored(redis_client, contract, job_id)
    # When the same article (same options) is XADDed again
    again = xadd(redis_client, stream, article=json.dumps({**job, "priority": "bulk"}))
    # Then that entry is answered with the same job: the stored result, not recomputed
    event = next_event(redis_client, contract, lambda e: e.get("entry") == again)
    assert (event["job_id"], event["status"]) == (job_id, "SUCCESS")
    assert stored(redis_client, contract, job_id)["result"] == first["result"]


INVALID_ENTRIES = [
    pytest.param({"article": '{"text": "نص"'}, "not valid JSON", id="truncated-json"),
    pytest.param({"article": "just words"}, "not valid JSON", id="not-json"),
    pytest.param({"article": '{"text": "نص", "metadata": {"x": NaN}}'}, "NaN", id="nan"),
    pytest.param({"article": '["نص"]'}, "JSON object", id="json-array"),
    pytest.param({"article": '{"text": "  "}'}, "empty", id="empty-text"),
    pytest.param({"article": '{"text": "نص", "colour": 1}'}, "unknown field", id="job-field"),
    pytest.param({"text": "نص"}, "no 'article' field", id="no-article"),
    pytest.param({"article": '{"text": "نص"}', "lang": "ar"}, "unknown field", id="entry-field"),
    pytest.param({"article": '{"text": "نص"}', "task": "tarjama.poem"}, "is not one of", id="task"),
    pytest.param({"article": '{"text": "نص"}', "job_id": "a b"}, "job_id must", id="job-id"),
]


@pytest.mark.parametrize(("fields", "hint"), INVALID_ENTRIES)
def test_invalid_entry_is_a_stored_failure(
    intake: tuple[IntakeProcess, str],
    redis_client: Redis,
    contract: Contract,
    fields: dict[str, str],
    hint: str,
) -> None:
    proc, stream = intake
    # Given an entry that cannot become a job
    entry = xadd(redis_client, stream, **fields)
    # When the intake has read it, an event answers the entry
    event = next_event(redis_client, contract, lambda e: e.get("entry") == entry)
    # Then a failure with a code and a helpful message is stored under the event's job id
    assert (event["status"], event["code"]) == ("FAILURE", "invalid_article")
    failure = stored(redis_client, contract, event["job_id"])
    assert failure["status"] == "FAILURE"
    code, message = failure["result"]["exc_message"]
    assert code == "invalid_article"
    assert hint in message
    # and the entry is acknowledged, and the intake serves on
    wait_until(lambda: pending(redis_client, stream) == 0, 10, "entry acknowledged")
    assert proc.alive


def test_crash_between_enqueue_and_ack_yields_exactly_one_job(
    start_intake: StartIntake,
    worker_factory: StartWorker,
    redis_client: Redis,
    contract: Contract,
) -> None:
    env = isolated()
    stream, queue = env["TARJAMA_INTAKE_STREAM"], env["TARJAMA_TRANSLATE_QUEUE"]
    job = {"text": "وصل الوفد إلى العاصمة.", "id": uuid.uuid4().hex}
    job_id = job_id_for("article", job)
    # Given an intake that dies right after enqueueing, before acknowledging (test-only fault)
    crashing = start_intake("crashy", {**env, "TARJAMA_INTAKE_FAULT": "exit-after-enqueue"})
    xadd(redis_client, stream, article=json.dumps(job))
    assert crashing.wait(timeout=60) == FAULT_EXIT_CODE, crashing.log_tail()
    # Then the job is on the queue and the entry still pending
    assert queued_job_ids(redis_client, queue) == [job_id]
    assert pending(redis_client, stream) == 1
    # When the intake restarts under the same consumer name
    start_intake("crashy", env)
    wait_until(lambda: pending(redis_client, stream) == 0, 30, "the restarted intake to ack")
    # Then it acknowledged the entry without sending the job again
    assert queued_job_ids(redis_client, queue) == [job_id]
    assert redis_client.xlen(stream) == 0
    # and a worker runs that one job once: one result, one event
    worker_factory("--concurrency=1", env=env, name="crash")
    results = env["TARJAMA_RESULTS_STREAM"]
    next_event(redis_client, contract, lambda e: e["job_id"] == job_id, stream=results)
    assert stored(redis_client, contract, job_id)["status"] == "SUCCESS"
    time.sleep(1.0)  # a second run, were there one, would announce itself by now
    assert len(events_for(redis_client, contract, job_id, results)) == 1


def test_unconfirmed_claim_is_sent_once_its_lease_lapses(
    start_intake: StartIntake, redis_client: Redis
) -> None:
    env = isolated(TARJAMA_INTAKE_CLAIM_IDLE="1")
    stream, queue = env["TARJAMA_INTAKE_STREAM"], env["TARJAMA_TRANSLATE_QUEUE"]
    job = {"text": "هطلت أمطار غزيرة.", "id": uuid.uuid4().hex}
    job_id = job_id_for("article", job)
    # Given a submitter that claimed the job and died before sending it (its lease: 8 s)
    claim = JobLedger.submitted_key(job_id)
    redis_client.set(claim, "sending", ex=8)
    # When the article arrives on the intake
    start_intake("lease", env)
    xadd(redis_client, stream, article=json.dumps(job))
    wait_until(lambda: pending(redis_client, stream) == 1, 6, "the intake to read the entry")
    # Then, while the claim lives, the intake does not take it for a sent job: the entry waits
    time.sleep(1.0)
    assert queued_job_ids(redis_client, queue) == []
    assert pending(redis_client, stream) == 1
    assert redis_client.exists(claim), "the claim lapsed before the check (machine too slow?)"
    # and once the claim has lapsed the job is sent, once, and the entry acknowledged
    wait_until(lambda: pending(redis_client, stream) == 0, 30, "the entry to be acknowledged")
    assert queued_job_ids(redis_client, queue) == [job_id]


def test_entries_of_a_dead_intake_are_taken_over(
    start_intake: StartIntake, redis_client: Redis
) -> None:
    env = isolated(TARJAMA_INTAKE_CLAIM_IDLE="1")
    stream, queue = env["TARJAMA_INTAKE_STREAM"], env["TARJAMA_TRANSLATE_QUEUE"]
    job = {"text": "بدأ العام الدراسي.", "id": uuid.uuid4().hex}
    # Given an entry that an intake read and then died with (pending under its name)
    redis_client.xgroup_create(stream, "tarjama", id="0", mkstream=True)
    xadd(redis_client, stream, article=json.dumps(job))
    assert redis_client.xreadgroup("tarjama", "dead", {stream: ">"})
    # When another intake runs
    start_intake("alive", env)
    # Then it takes the entry over once it has been idle for the claim time, and enqueues it
    wait_until(lambda: pending(redis_client, stream) == 0, 30, "the entry to be taken over")
    assert queued_job_ids(redis_client, queue) == [job_id_for("article", job)]


def _redis_cli() -> str | None:
    beside_server = Path(find_redis_server()).with_name("redis-cli")
    return str(beside_server) if beside_server.is_file() else shutil.which("redis-cli")


@pytest.mark.usefixtures("worker")
@pytest.mark.skipif(_redis_cli() is None, reason="no redis-cli binary")
def test_readme_shell_script_prints_the_summary(
    intake: tuple[IntakeProcess, str], redis_url: str, redis_client: Redis, contract: Contract
) -> None:
    _proc, stream = intake
    # Given the README's script, which uses nothing but redis-cli
    assert SCRIPT.read_text(encoding="utf-8").strip() in README.read_text(encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "REDIS_CLI": str(_redis_cli()),
        "TARJAMA_REDIS_URL": redis_url,
        "TARJAMA_INTAKE_STREAM": stream,
        "TIMEOUT": "120",
    }
    # When it submits the sample article
    done = subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    # Then it prints the summary that was stored for its job
    assert done.returncode == 0, done.stderr
    job_id = done.stderr.split("job ")[-1].strip()
    summary = stored(redis_client, contract, job_id)["result"]["summary"]["text"]
    assert done.stdout == summary + "\n"
    assert summary.strip()
