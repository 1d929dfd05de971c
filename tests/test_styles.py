"""Summary styles are data in prompts/: validated at start-up, rendered per model family."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tarjama.worker.chat_template import ChatTemplate
from tarjama.worker.errors import ConfigurationError, UnknownStyle
from tarjama.worker.styles import StyleBook, default_prompts_dir, load_style

SHIPPED = ["brief", "bullets", "headline", "standard"]
SEQ2SEQ_FAMILIES = ["bart", "pegasus", "t5", "flan-t5", "mt5"]
CHAT_FAMILIES = ["qwen2", "llama"]
TEXT = "The plant opened on Tuesday.\n\nIt cost 2.5 billion dollars."


def test_shipped_styles() -> None:
    book = StyleBook.load()
    assert book.names == SHIPPED
    assert book.get(None).name == "standard"
    assert book.get("standard").parameters == {"min_sentences": 3, "max_sentences": 4}
    assert book.get("brief").parameters == {"min_sentences": 1, "max_sentences": 2}
    assert book.get("bullets").parameters == {"min_bullets": 3, "max_bullets": 5}
    assert book.get("headline").parameters == {"max_words": 15}
    # deterministic by default: every shipped style decodes greedily
    assert all(style.chat.decoding.greedy for style in book)


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("family", SEQ2SEQ_FAMILIES)
def test_every_style_renders_for_every_seq2seq_family(name: str, family: str) -> None:
    style = StyleBook.load().get(name)
    prompt = style.render(family, TEXT, "Solar plant")
    assert TEXT in prompt
    assert "{" not in prompt  # every placeholder filled
    if family in ("bart", "pegasus"):
        assert prompt == TEXT  # BART/Pegasus take the text as it is
    elif family in ("t5", "mt5"):
        assert prompt.startswith("summarize: ")
    else:
        assert "Title: Solar plant" in prompt  # FLAN-T5 gets an instruction with the title


def test_style_parameters_reach_the_prompt() -> None:
    prompt = StyleBook.load().get("headline").render("flan-t5", TEXT, "Solar plant")
    assert "at most 15 words" in prompt


@pytest.mark.parametrize("name", SHIPPED)
def test_a_job_without_title_leaves_the_title_line_out(name: str) -> None:
    style = StyleBook.load().get(name)
    flan = style.render("flan-t5", TEXT, None)
    assert "Title" not in flan
    assert "\n\n\n" not in flan
    user = style.chat_messages(TEXT, None)[1]["content"]
    assert "Title:" not in user
    assert f"<article>\n{TEXT}\n</article>" in user


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("family", CHAT_FAMILIES)
def test_every_style_renders_for_every_chat_family(
    tiny_models: dict[str, Path], name: str, family: str
) -> None:
    # Given a style and the chat template of a tiny Qwen2- or Llama-3-style model
    style = StyleBook.load().get(name)
    template = ChatTemplate.from_dir(tiny_models[family])
    # When the style's messages are rendered with the model's own template
    prompt = template.render(style.chat_messages(TEXT, "Solar plant"))
    # Then the prompt holds the system message, the article in its block, and the parameters
    system, user = (m["content"] for m in style.chat_messages(TEXT, "Solar plant"))
    assert system.strip() in prompt
    assert f"<article>\nTitle: Solar plant\n{TEXT}\n</article>" in prompt
    assert "{" not in prompt
    for value in style.parameters.values():
        assert f" {value} " in user
    # and ends where the model's answer begins
    assert prompt.endswith(
        "<|im_start|>assistant\n"
        if family == "qwen2"
        else "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_the_styles_ask_for_different_things() -> None:
    users = {s.name: s.chat_messages(TEXT, "Solar plant")[1]["content"] for s in StyleBook.load()}
    assert "3 to 4 sentences" in users["standard"]
    assert "1 to 2 sentences" in users["brief"]
    assert "3 to 5 most important facts" in users["bullets"]
    assert "at most 15 words" in users["headline"]
    assert len(set(users.values())) == len(SHIPPED)


def test_unknown_style_lists_the_styles() -> None:
    with pytest.raises(UnknownStyle) as caught:
        StyleBook.load().get("poem")
    assert caught.value.code == "unknown_style"
    for name in SHIPPED:
        assert name in caught.value.message


GOOD = (default_prompts_dir() / "standard.toml").read_text(encoding="utf-8")
GOOD_SYSTEM = GOOD[GOOD.index('system = """') : GOOD.index('user = """')]
GOOD_USER = GOOD[GOOD.index('user = """') : GOOD.index("[chat.decoding]")]


def _user(text: str) -> str:
    return GOOD.replace(GOOD_USER, f'user = """{text}"""\n\n')


BAD_FILES = [
    (
        "unknown-placeholder",
        GOOD.replace('default = "{text}"', 'default = "{text} {author}"'),
        "template.default: unknown placeholder {author}; allowed: {text}, {title}, "
        "{max_sentences}, {min_sentences}",
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
        "output.max_sentences: Input should be a valid integer",
    ),
    (
        "unknown-key",
        GOOD.replace("[decoding]", "[decoding]\ntemperature = 0.7"),
        "decoding.temperature: Extra inputs are not permitted",
    ),
    (
        "bad-output",
        GOOD.replace('form = "prose"', 'form = "haiku"'),
        "output.form: Input tag 'haiku' found using 'form' does not match",
    ),
    ("not-toml", GOOD + "\n[[[", "cannot read style file"),
    ("name-mismatch", GOOD, "must match the file name"),
    # the output and its parameters
    (
        "sentences-range",
        GOOD.replace("min_sentences = 3", "min_sentences = 5"),
        "output: min_sentences must not exceed max_sentences",
    ),
    (
        "parameter-of-another-form",
        GOOD.replace("in three or four sentences", "in {max_bullets} points"),
        "template.flan-t5: unknown placeholder {max_bullets}",
    ),
    (
        "format-spec",
        GOOD.replace('t5 = "summarize: {text}"', 't5 = "summarize: {text!r}"'),
        "template.t5: {text} takes no format spec or conversion",
    ),
    (
        "bad-braces",
        GOOD.replace('t5 = "summarize: {text}"', 't5 = "summarize {: {text}"'),
        "template.t5:",
    ),
    (
        "title-and-text-on-one-line",
        GOOD.replace('t5 = "summarize: {text}"', 't5 = "summarize: {title} {text}"'),
        "template.t5: {title} and {text} must be on separate lines",
    ),
    # chat models
    (
        "chat-missing",
        GOOD[: GOOD.index("[chat]")],
        "chat: Field required",
    ),
    (
        "chat-user-missing",
        GOOD.replace(GOOD_USER, ""),
        "chat.user: Field required",
    ),
    (
        "chat-system-empty",
        GOOD.replace(GOOD_SYSTEM, 'system = "  "\n'),
        "chat.system: must not be empty",
    ),
    (
        "chat-unknown-placeholder",
        _user("Summarize in {sentences} sentences.\n<article>\n{text}\n</article>"),
        "chat.user: unknown placeholder {sentences}",
    ),
    (
        "chat-text-in-system",
        GOOD.replace("Write in English.", "Write in English. {text}"),
        "chat.system: {text} belongs in chat.user, inside <article> … </article>",
    ),
    (
        "chat-no-block",
        _user("Summarize this:\n{text}"),
        "chat.user: must hold one <article> … </article> block",
    ),
    (
        "chat-text-outside-block",
        _user("<article>\nTitle: {title}\n</article>\n{text}"),
        "chat.user: {text} must be inside <article> … </article>",
    ),
    (
        "chat-block-backwards",
        _user("</article>\n{text}\n<article>"),
        "chat.user: </article> comes before <article>",
    ),
    (
        "chat-system-does-not-name-block",
        GOOD.replace(GOOD_SYSTEM, 'system = "You summarize news."\n'),
        "chat.system: must name the <article> block as the material to summarize",
    ),
    (
        "chat-sampling-without-seed",
        GOOD + "\n[chat.decoding.sampling]\ntemperature = 0.7\n",
        "chat.decoding.sampling.seed: Field required",
    ),
    (
        "chat-penalty-below-one",
        GOOD.replace("repetition_penalty = 1.05", "repetition_penalty = 0.9"),
        "chat.decoding.repetition_penalty: Input should be greater than or equal to 1",
    ),
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


BROKEN_FOR_WORKER = [
    ('default = "{text}"', 'default = "{txt}"', "template.default: unknown placeholder {txt}"),
    ("\n</article>\n", "\n</artikel>\n", "chat.user: must hold one <article> … </article> block"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN_FOR_WORKER)
def test_worker_refuses_to_start_with_a_bad_style_file(
    tmp_path: Path, base_env: dict[str, str], old: str, new: str, expected: str
) -> None:
    # Given a prompts dir with one broken style
    for name in SHIPPED:
        shutil.copy(default_prompts_dir() / f"{name}.toml", tmp_path / f"{name}.toml")
    broken = tmp_path / "bullets.toml"
    broken.write_text(broken.read_text().replace(old, new, 1), encoding="utf-8")
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
    assert expected in done.stderr


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
