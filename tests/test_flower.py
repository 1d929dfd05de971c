"""Operators see every job in Flower: name, a short readable args summary, state, progress,
runtime and worker; Flower's /metrics serves Prometheus metrics; the API needs auth."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.embedded import free_port
from tests.helpers import long_article

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("worker")]
AUTH = "ops:s3cret"


class FlowerClient:
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


@pytest.fixture(scope="module")
def flower(
    base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlowerClient]:
    port = free_port()
    log = tmp_path_factory.mktemp("flower") / "flower.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tarjama.worker.cli",
                "flower",
                f"--port={port}",
                f"--basic-auth={AUTH}",
            ],
            env={**os.environ, **base_env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    client = FlowerClient(port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get("/healthcheck")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"flower did not start: {Path(log).read_text()[-2000:]}")
    time.sleep(2)  # Flower enables events on the workers and starts capturing
    yield client
    proc.terminate()
    proc.wait(timeout=30)


def test_job_in_flower_with_progress_short_args_runtime_and_worker(
    flower: FlowerClient, client: TarjamaClient, real_article: str
) -> None:
    # Given a long job
    job = {**long_article(real_article, copies=4), "title": "مقاتلو داعش يفرون"}
    job_id = client.submit(job)
    # When it runs, Flower shows it in the PROGRESS state with the stage and counts
    seen_progress = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, body = flower.get(f"/api/task/info/{job_id}")
        info = json.loads(body) if status == 200 else {}
        if info.get("state") == "PROGRESS":
            seen_progress = info
        if info.get("state") == "SUCCESS":
            break
        time.sleep(0.2)
    assert seen_progress is not None, "no PROGRESS state seen in Flower"
    assert seen_progress["result"].split()[0] in ("translating", "summarizing")
    assert "/" in seen_progress["result"]
    # Then the finished job shows its name, a short readable summary of its args,
    # its state, runtime and worker
    info = flower.json(f"/api/task/info/{job_id}")
    assert info["state"] == "SUCCESS"
    assert info["name"].startswith("tarjama.process_article")
    assert "مقاتلو داعش يفرون" in info["args"]
    assert len(info["args"]) < 200
    assert info["runtime"] > 0
    assert info["worker"].startswith("main@")
    listed = flower.json("/api/tasks?limit=1000")
    assert job_id in listed
    # and `tarjama result` showed progress too while it ran (same stored PROGRESS state)
    assert client.status(job_id).ok


def test_flower_metrics_and_auth(flower: FlowerClient) -> None:
    status, body = flower.get("/metrics")
    assert status == 200
    text = body.decode()
    assert "flower_events_total" in text
    assert 'task="tarjama.process_article"' in text
    # the API is closed without credentials
    assert flower.get("/api/tasks", auth=False)[0] == 401


def test_flower_refuses_public_address_without_auth(base_env: dict[str, str]) -> None:
    env = {k: v for k, v in {**os.environ, **base_env}.items() if not k.startswith("FLOWER_")}
    done = subprocess.run(
        [sys.executable, "-m", "tarjama.worker.cli", "flower", "--address=0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "without authentication" in done.stderr
