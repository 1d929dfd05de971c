"""The language-neutral contract: the shipped JSON Schemas agree with the code, and a Celery
message written by hand, as a client in another language writes it, runs the job."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from redis import Redis

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.contract import SCHEMA_NAMES, job_schema, load_schema, render
from tarjama.worker.errors import CELERY_FAILURE_CODES, TarjamaError
from tarjama.worker.jobs import parse_job
from tarjama.worker.results import result_key
from tests.helpers import Contract

REPO = Path(__file__).resolve().parents[1]
CELERY_MESSAGE = REPO / "examples" / "celery-message.json"


def _all_codes(cls: type[TarjamaError] = TarjamaError) -> set[str]:
    own = {cls.code} if cls.stored else set()
    return own.union(*(_all_codes(sub) for sub in cls.__subclasses__()))


def test_committed_job_schema_is_the_one_article_input_generates() -> None:
    # Given the model the worker validates with, and the schema file other languages get
    # Then they say the same, byte for byte
    committed = (REPO / "tasks" / "schemas" / "job.schema.json").read_text(encoding="utf-8")
    assert committed == render(job_schema()), (
        "tasks/schemas/job.schema.json is stale: run "
        "`.venv/bin/python -m tarjama.worker.contract > tasks/schemas/job.schema.json`"
    )


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_shipped_schemas_are_valid_json_schemas(name: Any) -> None:
    Draft202012Validator.check_schema(load_schema(name))


def test_failure_codes_in_the_schemas_are_the_codes_the_code_raises() -> None:
    # Given every code a TarjamaError carries (stored as JobFailed(code, message))
    codes = _all_codes()
    # Then the stored-result schema lists exactly those
    assert set(load_schema("result")["$defs"]["code"]["enum"]) == codes
    # and the event schema also the codes given to failures Celery stores itself
    event_codes = load_schema("event")["properties"]["code"]["enum"]
    assert set(event_codes) == codes | set(CELERY_FAILURE_CODES.values())


JOBS: list[tuple[Any, bool]] = [
    ({"text": "نص"}, True),
    ({"text": "نص", "title": "عنوان", "id": "cms-1", "metadata": {"a": [1, {"b": None}]}}, True),
    ({"text": "نص", "summary_style": "brief", "format": "html", "priority": "bulk"}, True),
    ({"text": ""}, False),
    ({"text": " \n\t"}, False),
    ({"text": 5}, False),
    ({"title": "بلا نص"}, False),
    (["text"], False),
    ({"text": "نص", "colour": "red"}, False),
    ({"text": "نص", "format": "pdf"}, False),
    ({"text": "نص", "priority": "asap"}, False),
    ({"text": "نص", "metadata": "x"}, False),
    ({"text": "نص", "title": "ع" * 2001}, False),
    ({"text": "نص", "source_language": "ar"}, True),
    ({"text": "نص", "source_language": "ar-EG"}, True),
    ({"text": "نص", "source_language": "fa"}, True),  # valid; the worker refuses it later
    ({"text": "نص", "source_language": "arabic"}, False),
    ({"text": "نص", "source_language": "ar_EG"}, False),
    ({"text": "نص", "source_language": ""}, False),
    ({"text": "نص", "source_language": 7}, False),
]


@pytest.mark.parametrize(("job", "valid"), JOBS)
def test_job_schema_accepts_what_the_worker_accepts(
    contract: Contract, job: Any, valid: bool
) -> None:
    # Given a job checked by the schema (another language) and by parse_job (the worker)
    schema_ok = contract.problem("job", job) is None
    try:
        parse_job(job, max_chars=100_000)
        worker_ok = True
    except TarjamaError:
        worker_ok = False
    # Then both come to the same verdict
    assert schema_ok == worker_ok == valid


def test_contract_check_catches_a_stored_result_that_breaks_the_schema(
    contract: Contract, redis_client: Redis
) -> None:
    # Given a stored success whose document lacks its summary section
    key = result_key(f"broken-{uuid.uuid4().hex}")
    redis_client.set(key, json.dumps({"status": "SUCCESS", "task_id": "x", "result": {}}))
    # When the suite's check reads the results
    try:
        with pytest.raises(AssertionError, match="schema_version"):
            contract.check_stored_results(redis_client)
    finally:
        redis_client.delete(key)


@pytest.mark.usefixtures("worker")
def test_a_hand_written_protocol_2_message_runs_the_job(
    client: TarjamaClient, redis_client: Redis, contract: Contract
) -> None:
    # Given the README's message, as a Celery client in another language builds it
    raw = CELERY_MESSAGE.read_text(encoding="utf-8")
    assert raw.strip() in (REPO / "README.md").read_text(encoding="utf-8")
    message = json.loads(raw)
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    contract.check("job", args[0])
    assert kwargs == {}
    job_id = message["headers"]["id"]
    # When it is pushed, as it is, onto the queue's Redis list
    redis_client.lpush(message["properties"]["delivery_info"]["routing_key"], raw)
    # Then the job runs and its result is stored under the message's id
    status = client.wait(job_id, timeout=120)
    assert status.ok, status.error
    assert status.result is not None
    assert status.result["article"]["id"] == "cms-4711"
    assert status.result["summary"]["text"]
    contract.check("result", json.loads(redis_client.get(result_key(job_id)) or b"{}"))
