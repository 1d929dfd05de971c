"""``tarjama evaluate`` end to end: the real command, tiny real models, files the tests write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.evaluation.command import evaluate
from tarjama.worker.evaluation.configs import EvalConfig
from tarjama.worker.evaluation.datafile import Columns
from tests.helpers import run_job, unique_article

ARABIC_PAIRS = [
    ("ذهب الولد إلى المدرسة.", "The boy went to school."),
    ("قال الوزير إن المشروع مهم. وأضاف أنه سيبدأ قريبا.", "The minister said it matters."),
    ("أعلنت الوزارة عن خطة جديدة للتعليم.", "The ministry announced a new plan."),
    ("ذهب الولد إلى المدرسة.", "The boy went to school."),
]
#: No Arabic letters: the worker copies such sentences as they are (passthrough).
UNTRANSLATED = [
    ("The boy went to school.", "The boy went to school."),
    (
        "Visit https://example.com/news for 2.5 million results.",
        "Visit https://example.com/news for 2.5 million results.",
    ),
]


def write_tsv(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{source}\t{reference}\n" for source, reference in pairs), "utf-8")
    return path


def evaluate_cli(
    env: dict[str, str], task: str, data: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """``tarjama evaluate`` in its own process, as a user runs it (its exit code, stderr)."""
    command = [
        sys.executable,
        "-m",
        "tarjama.worker.cli",
        "evaluate",
        task,
        "--data",
        str(data),
        *args,
    ]
    return subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, timeout=240, check=False
    )


def report_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def evaluate_json(env: dict[str, str], task: str, data: Path, *args: str) -> dict[str, Any]:
    """The JSON report of a successful run."""
    return report_of(evaluate_cli(env, task, data, "--json", *args))


def test_translation_end_to_end_table(tmp_path: Path, base_env: dict[str, str]) -> None:
    # Given a small Arabic-English TSV
    data = write_tsv(tmp_path / "ar-en.tsv", ARABIC_PAIRS)
    # When the command evaluates the configured (tiny) translation model
    done = evaluate_cli(base_env, "translation", data)
    # Then it prints a table with BLEU, chrF, the segment count and the signatures
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:7] == ["config", "model", "engine", "compute", "beams", "BLEU", "chrF"]
    row = lines[1].split()
    assert row[:5] == ["A", "marian", "ctranslate2", "int8", "2"]  # the default engine
    assert row[7] == "4"  # segments
    assert any(line.startswith("bleu: nrefs:1|case:mixed|eff:no|tok:13a") for line in lines)
    assert any(line.startswith("chrf: nrefs:1|") for line in lines)


def test_translation_json_scores_what_the_pipeline_produced(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    # Given pairs whose sources have no Arabic letters (the worker copies such sentences)
    data = write_tsv(tmp_path / "untranslated.tsv", UNTRANSLATED)
    outputs = tmp_path / "outputs.jsonl"
    # When evaluated as JSON with the outputs saved
    report = evaluate_json(base_env, "translation", data, "--save-outputs", str(outputs))
    # Then the outputs equal the references, so BLEU and chrF are exactly 100
    (run,) = report["runs"]
    assert run["scores"] == {"bleu": 100.0, "chrf": 100.0}
    assert run["segments"] == report["data"]["segments"] == 2
    assert run["model"]["id"] == base_env["TARJAMA_TRANSLATION_MODEL"]
    assert run["beams"] == 2
    assert run["seconds"] >= 0
    assert run["load_seconds"] > 0
    assert report["signatures"]["bleu"].startswith("nrefs:1|")
    assert report["differences"] == []
    saved = [json.loads(line) for line in outputs.read_text("utf-8").splitlines()]
    assert [(r["line"], r["output"]) for r in saved] == [
        (1, UNTRANSLATED[0][0]),
        (2, UNTRANSLATED[1][0]),
    ]


@pytest.mark.usefixtures("worker")
def test_evaluated_output_is_what_the_worker_delivers(
    tmp_path: Path, base_env: dict[str, str], client: TarjamaClient
) -> None:
    # Given one Arabic article of two sentences that no other test sends (the worker's
    # sentence cache would answer with a translation made in another batch)
    number = uuid.uuid4().int % 10**8
    source = f"قال الوزير إن المشروع رقم {number} مهم. وأضاف أنه سيبدأ قريبا."
    data = write_tsv(tmp_path / "one.tsv", [(source, "reference")])
    outputs = tmp_path / "outputs.jsonl"
    # When it is evaluated, and also sent through the queue to a real worker
    evaluate_json(base_env, "translation", data, "--save-outputs", str(outputs))
    status = run_job(client, unique_article(source), kind="translation")
    # Then the evaluated output is the worker's translation, word for word
    assert status.ok
    assert status.result is not None
    evaluated = json.loads(outputs.read_text("utf-8"))["output"]
    assert evaluated == status.result["text"]


def test_compare_engines_shows_the_cost_of_quantization(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    # Given Arabic pairs
    data = write_tsv(tmp_path / "ar-en.tsv", ARABIC_PAIRS)
    # When transformers fp32 is compared with CTranslate2 int8 on the same data
    report = evaluate_json(
        base_env,
        "translation",
        data,
        "--engine",
        "transformers",
        "--compare",
        "--engine ctranslate2 --compute int8",
    )
    # Then both engines ran the same segments and the difference is reported
    a, b = report["runs"]
    assert (a["model"]["engine"], a["model"]["compute_type"]) == ("transformers", "float32")
    assert (b["model"]["engine"], b["model"]["compute_type"]) == ("ctranslate2", "int8")
    assert a["segments"] == b["segments"] == len(ARABIC_PAIRS)
    (difference,) = report["differences"]
    assert {"bleu", "chrf", "speedup"} <= set(difference)


def test_compare_prints_both_rows_and_the_difference(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    # Given Arabic pairs
    data = write_tsv(tmp_path / "ar-en.tsv", ARABIC_PAIRS)
    # When beams 2 (the settings) is compared with beams 1
    report = evaluate_json(base_env, "translation", data, "--compare", "--beams 1")
    # Then both rows are there, B differs by its option only, and B − A is their difference
    a, b = report["runs"]
    assert (a["config"], a["beams"], a["options"]) == ("A", 2, "(TARJAMA_* settings)")
    assert (b["config"], b["beams"], b["options"]) == ("B", 1, "--beams 1")
    assert a["model"] == b["model"]
    (diff,) = report["differences"]
    assert diff["of"] == "B"
    assert diff["against"] == "A"
    for key in ("bleu", "chrf"):
        assert diff[key] == pytest.approx(b["scores"][key] - a["scores"][key], abs=1e-3)
    assert diff["seconds"] == pytest.approx(b["seconds"] - a["seconds"], abs=1e-3)


def test_malformed_lines_are_rejected_with_their_numbers(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    # Given a TSV with a missing column, a non-UTF-8 line and a NUL in a source
    data = tmp_path / "bad.tsv"
    data.write_bytes(
        "ذهب الولد.\tThe boy went.\n".encode()
        + b"only one column\n"
        + "café\tcoffee\n".encode("latin-1")
        + "كلمة\x00\tword\n".encode()
        + "ذهب الولد.\tThe boy went.\n".encode()
    )
    # When it is evaluated
    done = evaluate_cli(base_env, "translation", data)
    # Then nothing is evaluated: exit 4, each bad line named, no traceback
    assert done.returncode == 4
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert "3 malformed line(s); nothing was evaluated" in done.stderr
    for number in (2, 3, 4):
        assert f"line {number}: " in done.stderr
    assert "--skip-invalid" in done.stderr

    # When --skip-invalid is given, the two good lines are evaluated and the others reported
    done = evaluate_cli(base_env, "translation", data, "--skip-invalid", "--json")
    report = report_of(done)
    assert report["runs"][0]["segments"] == 2
    assert [s["line"] for s in report["data"]["skipped_lines"]] == [2, 3, 4]
    assert "skipping 3 malformed line(s)" in done.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty or only blank lines"),
        (b"\n  \n", "the file is empty or only blank lines"),
        (b'{"source": "x", "reference": "y"\n', "invalid JSON"),
    ],
)
def test_unusable_files_exit_4(
    tmp_path: Path, base_env: dict[str, str], content: bytes, message: str
) -> None:
    data = tmp_path / "set.jsonl"
    data.write_bytes(content)
    done = evaluate_cli(base_env, "translation", data)
    assert done.returncode == 4
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--compare", "--beams 0"], "Invalid value for --compare"),
        (["--compare", "--no-such-option"], "No such option"),
        (["--style", "nope"], "unknown summary style 'nope'; the styles are: brief, bullets"),
        (["--model", "/nonexistent/model"], "does not exist"),
    ],
)
def test_bad_options_are_refused_before_any_model_loads(
    tmp_path: Path, base_env: dict[str, str], args: list[str], message: str
) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text(json.dumps({"text": "Body.", "reference": "Summary."}) + "\n", "utf-8")
    done = evaluate_cli(base_env, "summary", data, *args)
    assert done.returncode in (2, 3)
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_summary_rouge_per_style_with_compare(tmp_path: Path, tiny_models: dict[str, Path]) -> None:
    # Given English articles and reference summaries (JSONL, CNN/DailyMail's key names)
    data = tmp_path / "cnndm.jsonl"
    records = [
        {
            "article": "Heavy rain caused flooding overnight. Rescue teams are searching.",
            "highlights": "Floods hit.\nTeams search.",
        },
        {
            "article": "The central bank raised interest rates. Prices rose again.",
            "highlights": "Rates went up.",
        },
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    # When two styles are evaluated for two configurations (beams from the style, then 1)
    first = EvalConfig(model=str(tiny_models["bart"]))
    report = evaluate(
        "summary",
        data,
        [first, first.changed("B", {"beams": 1})],
        columns=Columns("article", "highlights"),
        styles=["brief", "standard", "brief"],
        progress=False,
    )
    # Then there is one row per configuration and style, each with the four ROUGE figures
    rows = [(run.config.label, run.style, run.beams) for run in report.runs]
    assert rows == [
        ("A", "brief", 4),
        ("A", "standard", 4),
        ("B", "brief", 1),
        ("B", "standard", 1),
    ]
    for run in report.runs:
        assert set(run.scores) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
        assert all(0 <= value <= 100 for value in run.scores.values())
        assert run.items == 2
        assert len(run.outputs) == 2
    # and one B − A difference per style
    assert [d["style"] for d in report.differences()] == ["brief", "standard"]
    assert report.as_json()["data"]["documents"] == 2


def test_summary_command_table(tmp_path: Path, base_env: dict[str, str]) -> None:
    data = tmp_path / "set.tsv"
    data.write_text("Heavy rain caused flooding overnight.\tFloods hit.\n", "utf-8")
    done = evaluate_cli(base_env, "summary", data, "--style", "brief")
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()[:2]
    assert header.split()[5:10] == ["style", "R-1", "R-2", "R-L", "R-Lsum"]
    assert row.split()[:6] == ["A", "bart", "ctranslate2", "int8", "4", "brief"]
