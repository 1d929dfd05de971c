"""Operators see every job in Flower: name, a short readable args summary, state, progress,
runtime and worker; Flower's /metrics serves Prometheus metrics; the API needs auth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tarjama.tasks.client import TarjamaClient
from tests.helpers import FlowerClient, FlowerProcess, long_article

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("worker")]


@pytest.fixture(scope="module")
def flower(
    base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlowerClient]:
    with FlowerProcess(base_env, tmp_path_factory.mktemp("flower") / "flower.log") as client:
        yield client


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
