"""Summary styles are data in prompts/: validated at start-up, rendered per model family."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tarjama.worker.errors import ConfigurationError, UnknownStyle
from tarjama.worker.styles import StyleBook, default_prompts_dir, load_style

SHIPPED = ["brief", "bullets", "standard"]


def test_shipped_styles() -> None:
    book = StyleBook.load()
    assert book.names == SHIPPED
    assert book.get(None).name == "standard"
    assert book.get("bullets").output == "bullets"
    assert book.get("brief").max_sentences == 1


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("family", ["bart", "pegasus", "t5", "flan-t5", "mt5"])
def test_every_style_renders_for_every_family(name: str, family: str) -> None:
    style = StyleBook.load().get(name)
    prompt = style.render(family, "The plant opened on Tuesday.", "Solar plant")
    assert "The plant opened on Tuesday." in prompt
    if family in ("bart", "pegasus"):
        assert prompt == "The plant opened on Tuesday."  # BART/Pegasus take the text as it is
    elif family in ("t5", "mt5"):
        assert prompt.startswith("summarize: ")
    else:
        assert "Solar plant" in prompt  # FLAN-T5 gets an instruction with the title


def test_unknown_style_lists_the_styles() -> None:
    with pytest.raises(UnknownStyle) as caught:
        StyleBook.load().get("poem")
    assert caught.value.code == "unknown_style"
    for name in SHIPPED:
        assert name in caught.value.message


GOOD = (default_prompts_dir() / "standard.toml").read_text(encoding="utf-8")
BAD_FILES = [
    (
        "unknown-placeholder",
        GOOD.replace('default = "{text}"', 'default = "{text} {author}"'),
        "template.default: unknown placeholder {author}",
    ),
    (
        "no-text",
        GOOD.replace('default = "{text}"', 'default = "{title}"'),
        "template.default: must contain {text}",
    ),
    (
        "missing-field",
        GOOD.replace('description = "A 3 to 4', 'blurb = "A 3 to 4'),
        "description: Field required",
    ),
    (
        "bad-beams",
        GOOD.replace("num_beams = 4", "num_beams = 0"),
        "decoding.num_beams: Input should be greater than or equal to 1",
    ),
    (
        "min-over-max",
        GOOD.replace("min_new_tokens = 56", "min_new_tokens = 500"),
        "min_new_tokens must not exceed max_new_tokens",
    ),
    (
        "wrong-type",
        GOOD.replace("max_sentences = 4", 'max_sentences = "four"'),
        "max_sentences: Input should be a valid integer",
    ),
    (
        "unknown-key",
        GOOD.replace("[decoding]", "[decoding]\ntemperature = 0.7"),
        "decoding.temperature: Extra inputs are not permitted",
    ),
    ("bad-output", GOOD.replace('output = "prose"', 'output = "haiku"'), "output: Input should be"),
    ("not-toml", GOOD + "\n[[[", "cannot read style file"),
    ("name-mismatch", GOOD, "must match the file name"),
]


@pytest.mark.parametrize(("case", "content", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_style_file_names_the_file_and_field(
    tmp_path: Path, case: str, content: str, expected: str
) -> None:
    path = tmp_path / ("standard.toml" if case != "name-mismatch" else "other.toml")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_style(path)
    assert str(path) in caught.value.message
    assert expected in caught.value.message


def test_default_style_must_exist(tmp_path: Path) -> None:
    shutil.copy(default_prompts_dir() / "brief.toml", tmp_path / "brief.toml")
    with pytest.raises(ConfigurationError, match="TARJAMA_DEFAULT_SUMMARY_STYLE"):
        StyleBook.load(tmp_path, default="standard")


def test_worker_refuses_to_start_with_a_bad_style_file(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    # Given a prompts dir with one broken style
    for name in SHIPPED:
        shutil.copy(default_prompts_dir() / f"{name}.toml", tmp_path / f"{name}.toml")
    broken = tmp_path / "bullets.toml"
    broken.write_text(
        broken.read_text().replace('default = "{text}"', 'default = "{txt}"'), encoding="utf-8"
    )
    # When a worker is started with it
    done = subprocess.run(
        [sys.executable, "-m", "tarjama.worker.cli", "worker", "--skip-preflight"],
        env={**base_env, "TARJAMA_PROMPTS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Then it refuses, naming the file and the field
    assert done.returncode == 2
    assert str(broken) in done.stderr
    assert "template.default: unknown placeholder {txt}" in done.stderr


def test_plain_celery_worker_also_refuses(tmp_path: Path, base_env: dict[str, str]) -> None:
    # `celery -A tarjama.worker.app worker` (not our CLI) checks styles in worker_init
    (tmp_path / "standard.toml").write_text(GOOD.replace("num_beams = 4", "num_beams = -1"))
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "tarjama.worker.app", "worker", "--pool=solo"],
        env={**base_env, "TARJAMA_PROMPTS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "decoding.num_beams" in done.stdout + done.stderr
