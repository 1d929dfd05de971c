"""The rows of the side-by-side table, each measured in a fresh process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.measure import Row

BASELINE_A = "hf-sentence"
BASELINE_B = "hf-batch"
HF_SUMMARY = "hf-summary"
TARJAMA_B4 = "tarjama-b4"
TARJAMA_SUMMARY = "tarjama-summary"
TARJAMA_WORKER = "tarjama-worker"
TARJAMA_GATE = "tarjama-gate"


def plan(
    translation_model: Path, summary_model: Path, cache_dir: Path, threads: int, repeats: int
) -> list[Row]:
    """Baselines A and B, tarjama at beam 4 and at the speed profiles, the summarizers,
    a worker process holding both models; all on the same inputs."""
    base = Row(
        key="",
        label="",
        task="translation",
        engine="tarjama",
        beams=4,
        threads=threads,
        repeats=repeats,
        translation_model=str(translation_model),
        summary_model=str(summary_model),
        cache_dir=str(cache_dir),
    )
    hf, fast = replace(base, engine="transformers"), base
    return [
        replace(
            hf, key=BASELINE_A, label="A: transformers fp32, one sentence per call", batched=False
        ),
        replace(hf, key=BASELINE_B, label="B: transformers fp32, article in one sorted batch"),
        replace(fast, key=TARJAMA_B4, label="tarjama: CTranslate2 int8, article in one call"),
        replace(fast, key="tarjama-b2", label="tarjama, speed profile (beam 2)", beams=2),
        replace(fast, key="tarjama-b1", label="tarjama, speed profile (greedy)", beams=1),
        replace(
            fast,
            key="tarjama-2x1",
            label=f"tarjama: 2 replicas x {max(1, threads // 2)} thread, 2 articles in flight",
            task="in-flight",
        ),
        replace(hf, key=HF_SUMMARY, label="transformers fp32", task="summary"),
        replace(fast, key=TARJAMA_SUMMARY, label="tarjama: CTranslate2 int8", task="summary"),
        replace(
            fast,
            key=TARJAMA_WORKER,
            label="tarjama worker process: both models int8 and the language gate, "
            "article then summary",
            task="worker",
        ),
        replace(
            fast,
            key=TARJAMA_GATE,
            label="language gate (fastText lid.176) on an article of 20 sentences",
            task="gate",
        ),
    ]


def clean_env() -> dict[str, str]:
    """This environment without TARJAMA_* (each row sets its own settings explicitly)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARJAMA_")}
    return {**env, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}


def measure(row: Row, timeout: float = 1800.0) -> dict[str, Any]:
    """Run one row in a fresh interpreter; its JSON line, or the error it ended with."""
    command = [sys.executable, "-m", "benchmarks.measure", row.as_json()]
    try:
        done = subprocess.run(
            command, env=clean_env(), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"key": row.key, "error": f"timed out after {timeout:.0f}s"}
    lines = done.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        return {"key": row.key, "error": f"exit {done.returncode}: {tail}"}
    return result
