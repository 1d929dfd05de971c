"""Small helpers shared by the tests."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from redis import Redis

from tarjama.tasks.client import JobStatus, TarjamaClient
from tarjama.worker.contract import SchemaName, load_schema
from tarjama.worker.embedded import free_port
from tarjama.worker.results import result_key
from tarjama.worker.settings import Settings, load_settings

PREFIX = "TARJAMA_"


def settings_from_env(env: dict[str, str]) -> Settings:
    return load_settings(
        **{k[len(PREFIX) :].lower(): v for k, v in env.items() if k.startswith(PREFIX)}
    )


def unique_article(text: str, **fields: Any) -> dict[str, Any]:
    """A job whose id nobody else in the session uses (ids derive from the content)."""
    return {"text": text, "id": uuid.uuid4().hex, **fields}


def run_job(
    client: TarjamaClient, job: Any, *, kind: str = "article", timeout: float = 120
) -> JobStatus:
    """Submit through the real queue and wait for the stored result."""
    job_id = client.submit(job, kind=kind)  # type: ignore[arg-type]
    return client.wait(job_id, timeout=timeout)


_ARABIC_LETTERS = "ابتثجحخدذرزسشصضطع"


def arabic_word(length: int = 10) -> str:
    """A random word of Arabic letters: makes a sentence nobody else in the session uses."""
    return "".join(_ARABIC_LETTERS[int(c, 16)] for c in uuid.uuid4().hex[:length])


class Contract:
    """The shipped JSON Schemas (tasks/schemas/) as validators, for what the suite produces."""

    def __init__(self) -> None:
        self.validators = {
            name: Draft202012Validator(
                load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            for name in ("job", "result", "event")
        }
        self._checked: dict[bytes, bytes] = {}  # result key -> digest of the value checked

    def problem(self, name: SchemaName, document: Any) -> str | None:
        error = best_match(self.validators[name].iter_errors(document))
        return None if error is None else f"{error.json_path}: {error.message}"

    def check(self, name: SchemaName, document: Any) -> None:
        problem = self.problem(name, document)
        assert problem is None, f"not a valid {name} (tasks/schemas/{name}.schema.json): {problem}"

    def check_event(self, fields: Mapping[bytes, bytes]) -> dict[str, str]:
        """A results-stream entry's fields, decoded, once they validated."""
        event = {k.decode(): v.decode() for k, v in fields.items()}
        self.check("event", event)
        return event

    def check_stored_results(self, redis: Redis) -> None:
        """Every result stored in this Redis validates (each stored value is checked once)."""
        bad = []
        for key in redis.scan_iter(match=result_key("*"), count=1000):
            raw = redis.get(key)
            if not isinstance(raw, bytes):
                continue  # expired meanwhile
            digest = hashlib.sha256(raw).digest()
            if self._checked.get(key) == digest:
                continue
            problem = self.problem("result", json.loads(raw))
            if problem:
                bad.append(f"{key.decode()}: {problem}")
            else:
                self._checked[key] = digest
        assert not bad, "stored results break tasks/schemas/result.schema.json:\n" + "\n".join(bad)


def own_queues(name: str) -> dict[str, str]:
    return {
        "TARJAMA_TRANSLATE_QUEUE": f"{name}.translate",
        "TARJAMA_SUMMARIZE_QUEUE": f"{name}.summarize",
    }


def long_article(real_article: str, copies: int = 3) -> dict[str, Any]:
    """A real article made long enough (distinct sentences) to be caught mid-job."""
    paragraphs = [p for p in real_article.splitlines() if p.strip()]
    tag = uuid.uuid4().hex[:8]
    return unique_article("\n".join(f"{p} {tag}{i}" for i in range(copies) for p in paragraphs))


def running_pid(client: TarjamaClient, node: str, job_id: str, timeout: float = 90) -> int:
    """The pool process running the job, from the worker's own `inspect active`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = client.app.control.inspect([node], timeout=1).active() or {}
        for task in active.get(node, []):
            if task["id"] == job_id and task.get("worker_pid"):
                return int(task["worker_pid"])
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} never ran on {node}")


class TaskEvents:
    """Celery task events, recorded in a background thread while the ``with`` block runs.

    The workers' own account of what ran: ``received(job_id)`` lists the task name of
    every delivery of the job (a redelivered stage shows up twice), ``started(job_id)``
    counts its executions.
    """

    def __init__(self, client: TarjamaClient) -> None:
        self.app = client.app
        self.events: list[dict[str, Any]] = []
        self._receiver: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def _run(self) -> None:
        with self.app.connection_for_read() as connection:
            self._receiver = self.app.events.Receiver(
                connection, handlers={"*": self.events.append}
            )
            self._ready.set()
            self._receiver.capture(limit=None, timeout=None, wakeup=False)

    def __enter__(self) -> TaskEvents:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        time.sleep(0.5)  # the receiver's queue is bound once capture() consumes
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(1.0)  # let the last events arrive
        if self._receiver is not None:
            self._receiver.should_stop = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def received(self, job_id: str) -> list[str]:
        return [
            str(e.get("name"))
            for e in self.events
            if e.get("type") == "task-received" and e.get("uuid") == job_id
        ]

    def started(self, job_id: str) -> int:
        return sum(
            1 for e in self.events if e.get("type") == "task-started" and e.get("uuid") == job_id
        )


AUTH = "ops:s3cret"


class FlowerClient:
    """Flower's HTTP API, with basic auth."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, *, auth: bool = True) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path)
        if auth:
            token = base64.b64encode(AUTH.encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def json(self, path: str) -> Any:
        status, body = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def wait_task(self, job_id: str, state: str = "SUCCESS", timeout: float = 60) -> Any:
        """Until Flower shows the task in ``state`` (from the workers' events)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.get(f"/api/task/info/{job_id}")
            if status == 200 and json.loads(body).get("state") == state:
                return json.loads(body)
            time.sleep(0.2)
        raise TimeoutError(f"Flower never showed {job_id} as {state}")


class FlowerProcess:
    """``tarjama flower`` with basic auth on a free port: ``with FlowerProcess(env, log) as f``."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.env = dict(env)
        self.log = log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FlowerClient:
        command = [sys.executable, "-m", "tarjama.worker.cli", "flower", f"--port={self.port}"]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*command, f"--basic-auth={AUTH}"],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        client = FlowerClient(self.port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if client.get("/healthcheck")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.__exit__()
            raise RuntimeError(f"flower did not start: {self.log.read_text()[-2000:]}")
        time.sleep(2)  # Flower enables events on the workers and starts capturing
        return client

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
