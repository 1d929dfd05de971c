"""README's first command: the demo runs one article through Redis and a worker, then stops."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tarjama.worker.tiny_models import TINY_LABEL

pytestmark = pytest.mark.slow


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.split(")")[-1].split()[0] != "Z"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _demo_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARJAMA_")}
    env["TARJAMA_MODEL_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def _started(stderr: str) -> tuple[int, int]:
    port = re.search(r"redis-server at redis://127\.0\.0\.1:(\d+)/0", stderr)
    pid = re.search(r"started a worker \(pid (\d+)", stderr)
    assert port, stderr
    assert pid, stderr
    return int(port.group(1)), int(pid.group(1))


def test_demo_tiny_prints_a_result_and_leaves_nothing_behind(tmp_path: Path) -> None:
    # When the README's first command runs (tiny models: no weights can be downloaded here)
    done = subprocess.run(
        [sys.executable, "-m", "tarjama.worker.cli", "demo", "--tiny"],
        env=_demo_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )
    # Then it prints the labelled result of a job that went through Redis and a worker
    assert done.returncode == 0, done.stderr[-3000:]
    assert TINY_LABEL in done.stdout
    assert "## Summary (standard" in done.stdout
    assert re.search(r"-- job art-[0-9a-f]{32}: 8 paragraphs", done.stdout)
    assert re.search(r"submitted job art-[0-9a-f]{32}; waiting", done.stderr)
    # and leaves no process behind
    port, pid = _started(done.stderr)
    assert not _port_open(port)
    assert not _pid_alive(pid)


def test_demo_without_weights_says_how_to_fix(tmp_path: Path) -> None:
    env = {**_demo_env(tmp_path), "TARJAMA_OFFLINE": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "tarjama.worker.cli", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert "Helsinki-NLP/opus-mt-ar-en" in done.stderr
    assert "tarjama models pull" in done.stderr
    assert "tarjama demo --tiny" in done.stderr
    port = re.search(r"redis-server at redis://127\.0\.0\.1:(\d+)/0", done.stderr)
    assert port
    assert not _port_open(int(port.group(1)))


def test_demo_ctrl_c_stops_everything(tmp_path: Path) -> None:
    # Given a demo that has started Redis and a worker
    proc = subprocess.Popen(
        [sys.executable, "-m", "tarjama.worker.cli", "demo", "--tiny"],
        env=_demo_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 120
    while "started a worker" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    # When the user presses Ctrl-C
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    # Then the demo says so and nothing is left running
    assert proc.returncode == 130, seen + rest
    port, pid = _started(seen)
    assert not _port_open(port)
    assert not _pid_alive(pid)
