"""Summaries with every style, on a tiny BART and a tiny T5; map-reduce for long texts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.contract import load_schema
from tarjama.worker.models.engine import Decoding, ModelInfo, Summarizer
from tarjama.worker.models.registry import ModelRegistry
from tarjama.worker.pipeline import summarize_text
from tarjama.worker.results import summary_section
from tarjama.worker.settings import load_settings
from tarjama.worker.styles import StyleBook
from tarjama.worker.tiny_models import ENGLISH_LINES
from tests.helpers import run_job, unique_article

SHIPPED = ["brief", "bullets", "headline", "standard"]


def _summarizer(path: Path, cache: Path) -> Summarizer:
    return ModelRegistry(load_settings(summary_model=str(path), model_cache_dir=cache)).summarizer()


@pytest.fixture(scope="module")
def summarizers(
    tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Summarizer]:
    cache = tmp_path_factory.mktemp("cache")
    flan = tmp_path_factory.mktemp("hub") / "google--flan-t5-tiny"
    shutil.copytree(tiny_models["t5"], flan)
    return {
        "bart": _summarizer(tiny_models["bart"], cache),
        "t5": _summarizer(tiny_models["t5"], cache),
        "flan-t5": _summarizer(flan, cache),
    }


TEXT = " ".join(ENGLISH_LINES[:6])


def test_family_is_read_from_the_model_config(summarizers: dict[str, Summarizer]) -> None:
    assert {k: s.info.family for k, s in summarizers.items()} == {
        "bart": "bart",
        "t5": "t5",
        "flan-t5": "flan-t5",
    }
    assert summarizers["bart"].max_input_tokens == 1024
    assert summarizers["t5"].max_input_tokens == 512


@pytest.mark.parametrize("style_name", SHIPPED)
@pytest.mark.parametrize("model", ["bart", "t5", "flan-t5"])
def test_every_style_runs_on_every_tiny_model(
    summarizers: dict[str, Summarizer], style_name: str, model: str
) -> None:
    style = StyleBook.load().get(style_name)
    out = summarize_text(TEXT, "Solar plant", style, summarizers[model])
    assert out.text
    assert out.style == style_name
    assert out.strategy == "single"
    assert out.chunks == 1
    if style_name == "bullets":
        assert all(line.startswith("- ") for line in out.text.splitlines())
    if style_name == "headline":
        assert "\n" not in out.text
        assert len(out.text.split()) <= 15
    assert isinstance(out.flags, list)


@pytest.mark.parametrize("model", ["bart", "t5"])
def test_text_five_times_over_the_limit_goes_map_reduce(
    summarizers: dict[str, Summarizer], model: str
) -> None:
    # Given an English text five times longer than the summarizer's input limit
    summarizer = summarizers[model]
    limit = summarizer.max_input_tokens
    sentences: list[str] = []
    while summarizer.count_tokens(" ".join(sentences)) < 5 * limit:
        sentences.extend(ENGLISH_LINES)
    text = " ".join(sentences)
    style = StyleBook.load().get("standard")
    stages: list[tuple[str, int, int]] = []
    # When it is summarized
    out = summarize_text(text, None, style, summarizer, progress=lambda *a: stages.append(a))
    # Then it went through chunks that each fit, and nothing was cut off
    assert out.strategy == "map_reduce"
    assert out.input_tokens >= 5 * limit
    assert out.chunks >= 5
    assert len(out.chunk_tokens) == out.chunks
    assert all(n <= limit for n in out.chunk_tokens)
    assert sum(out.chunk_tokens) >= out.input_tokens * 0.95  # all the text went in
    assert out.levels >= 2
    assert out.text
    assert stages
    assert stages[-1][0] == "summarizing"


def test_a_single_sentence_over_the_limit_is_split_not_truncated(
    summarizers: dict[str, Summarizer],
) -> None:
    summarizer = summarizers["t5"]
    text = "word " * (3 * summarizer.max_input_tokens)  # one "sentence" with no full stop
    out = summarize_text(text, None, StyleBook.load().get("brief"), summarizer)
    assert out.strategy == "map_reduce"
    assert out.chunks >= 3
    assert all(n <= summarizer.max_input_tokens for n in out.chunk_tokens)


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize("style_name", SHIPPED)
def test_summarize_task_with_each_style(client: TarjamaClient, style_name: str) -> None:
    status = run_job(client, unique_article(TEXT, summary_style=style_name), kind="summary")
    assert status.ok, status.error
    assert status.result is not None
    assert status.result["summary"]["style"] == style_name


@pytest.mark.usefixtures("worker")
def test_summarize_task_unknown_style_is_stored_failure(client: TarjamaClient) -> None:
    status = run_job(client, unique_article(TEXT, summary_style="sonnet"), kind="summary")
    assert status.error is not None
    assert status.error["code"] == "unknown_style"
    assert "brief, bullets, headline, standard" in status.error["message"]
    assert run_job(client, unique_article(TEXT), kind="summary").ok


class FixedSummarizer:
    """Plumbing stand-in for a summarizer: it answers with a fixed text."""

    info = ModelInfo(id="fixed", revision=None, engine="fixed", family="bart")
    max_input_tokens = 10_000

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def summarize(self, prompt: str, decoding: Decoding) -> str:
        return self.answer


@pytest.mark.parametrize(
    ("answer", "codes"),
    [
        ("The plant opened. It cost a lot.", []),
        ("The minister said المحطة opened.", ["summary_has_arabic"]),
        ("", ["summary_empty"]),
    ],
)
def test_summary_flags_reach_the_result_section(answer: str, codes: list[str]) -> None:
    # Given a summarizer's answer
    style = StyleBook.load().get("standard")
    # When it becomes the result's summary section
    section = summary_section(summarize_text(TEXT, None, style, FixedSummarizer(answer)))
    # Then its flags say what to check, in the shape the result schema defines
    assert [f["code"] for f in section["flags"]] == codes
    schema = load_schema("result")
    validator = Draft202012Validator({"$ref": "#/$defs/summary", "$defs": schema["$defs"]})
    assert list(validator.iter_errors(section)) == []
