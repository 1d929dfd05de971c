"""Summary styles: loaded from ``prompts/*.toml``, validated at start-up, rendered per model family.

A style file holds a name and a description, and:

- ``[output]``: the summary's shape and the style's own parameters: ``form = "prose"``
  (``min_sentences``, ``max_sentences``), ``"bullets"`` (``min_bullets``, ``max_bullets``) or
  ``"headline"`` (``max_words``);
- ``[template]`` and ``[decoding]``, for seq2seq summarizers: one prompt per family (BART and
  Pegasus take the text as it is; T5 and FLAN-T5 take an instruction) and beam search;
- ``[chat]`` (``system``, ``user``) and ``[chat.decoding]``, for instruction-tuned chat models:
  two messages that the model's own chat template wraps, and how to decode the answer.

Templates use ``{text}`` and ``{title}`` (the article) and the output's parameters (e.g.
``{max_sentences}``). A line holding ``{title}`` is left out when the job has no title.

For chat models the article is data, not instructions: ``chat.user`` must hold ``{text}`` and
``{title}`` inside one ``<article>`` … ``</article>`` block, ``chat.system`` must name that
block, and text that looks like either delimiter inside the article or title is defused
before it is put in (:func:`as_data`), so the article cannot close the block early.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tarjama.worker.chat_template import ChatMessage
from tarjama.worker.errors import ConfigurationError, UnknownStyle
from tarjama.worker.models.engine import Decoding

#: The article's placeholders (data); every other placeholder is a parameter of the output.
DATA_PLACEHOLDERS = ("text", "title")
#: Family fallbacks: a style without a template for the family tries the next one.
FAMILY_FALLBACK: dict[str, str] = {"flan-t5": "t5", "mt5": "t5", "long-t5": "t5"}
#: The block of ``chat.user`` that holds the article.
ARTICLE_OPEN, ARTICLE_CLOSE = "<article>", "</article>"
#: Text in an article that a reader could take for either delimiter: ``<article>``,
#: ``</ARTICLE >``, with spaces or invisible characters between the pieces.
_GAP = r"[\s\u200b-\u200f\u2060\ufeff]*"
_DELIMITER_LOOKALIKE = re.compile(rf"<(?={_GAP}/?{_GAP}article\b)", re.IGNORECASE)
#: What the ``<`` of such a look-alike becomes (a single left-pointing angle quotation mark).
DEFUSED_BRACKET = "\u2039"


def default_prompts_dir() -> Path:
    from tarjama import prompts

    return Path(prompts.__file__).parent


def as_data(value: str) -> str:
    """Article text made safe to put inside the ``<article>`` block: anything that reads as
    ``<article>`` or ``</article>`` loses its ``<`` (→ ``‹``). Nothing else changes."""
    return _DELIMITER_LOOKALIKE.sub(DEFUSED_BRACKET, value)


# --- the file format -------------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class ProseOutput(BaseModel):
    """Sentences of plain prose."""

    model_config = _STRICT
    form: Literal["prose"]
    min_sentences: int = Field(ge=1, le=20)
    max_sentences: int = Field(ge=1, le=20)

    @model_validator(mode="after")
    def _range(self) -> ProseOutput:
        if self.min_sentences > self.max_sentences:
            raise ValueError("min_sentences must not exceed max_sentences")
        return self


class BulletsOutput(BaseModel):
    """Bullet points, one short sentence each; stored as lines starting with ``- ``."""

    model_config = _STRICT
    form: Literal["bullets"]
    min_bullets: int = Field(ge=1, le=20)
    max_bullets: int = Field(ge=1, le=20)

    @model_validator(mode="after")
    def _range(self) -> BulletsOutput:
        if self.min_bullets > self.max_bullets:
            raise ValueError("min_bullets must not exceed max_bullets")
        return self


class HeadlineOutput(BaseModel):
    """One line of at most ``max_words`` words, without quotes or a final full stop."""

    model_config = _STRICT
    form: Literal["headline"]
    max_words: int = Field(ge=3, le=40)


_FORMS = ("prose", "bullets", "headline")
OutputShape = Annotated[ProseOutput | BulletsOutput | HeadlineOutput, Field(discriminator="form")]


def output_parameters(output: ProseOutput | BulletsOutput | HeadlineOutput) -> dict[str, int]:
    """The output's parameters, by placeholder name (e.g. ``{"max_words": 15}``)."""
    return {k: v for k, v in output.model_dump().items() if k != "form"}


class Sampling(BaseModel):
    """Sampling instead of greedy search; the seed is required, so a style stays repeatable."""

    model_config = _STRICT
    temperature: float = Field(gt=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    top_k: int = Field(0, ge=0, le=1000)
    seed: int = Field(ge=0, le=2**31 - 1)


class ChatDecoding(BaseModel):
    """How a chat model decodes a summary: greedy unless ``sampling`` is given. Generation
    always stops at the model's end-of-turn tokens (``ChatTemplate.end_tokens``)."""

    model_config = _STRICT
    max_new_tokens: int = Field(ge=1, le=2048)
    #: >1 makes tokens already in the sequence less likely (1.0: off)
    repetition_penalty: float = Field(1.0, ge=1.0, le=2.0)
    sampling: Sampling | None = None

    @property
    def greedy(self) -> bool:
        return self.sampling is None


class ChatPrompt(BaseModel):
    model_config = _STRICT
    system: str
    user: str
    decoding: ChatDecoding


class _DecodingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    num_beams: int = Field(ge=1, le=16)
    min_new_tokens: int = Field(ge=0, le=1024)
    max_new_tokens: int = Field(ge=1, le=1024)
    length_penalty: float = Field(1.0, ge=-5.0, le=5.0)
    no_repeat_ngram_size: int = Field(0, ge=0, le=10)

    @model_validator(mode="after")
    def _min_below_max(self) -> _DecodingSpec:
        if self.min_new_tokens > self.max_new_tokens:
            raise ValueError("min_new_tokens must not exceed max_new_tokens")
        return self


class _StyleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    description: str = Field(min_length=1)
    output: OutputShape
    template: dict[str, str] = Field(min_length=1)
    decoding: _DecodingSpec
    chat: ChatPrompt

    @model_validator(mode="after")
    def _templates(self) -> _StyleSpec:
        parameters = set(output_parameters(self.output))
        if "default" not in self.template:
            raise ValueError("template.default is required (used for BART, Pegasus and others)")
        for family, text in self.template.items():
            _check_prompt(f"template.{family}", text, parameters, data=True)
        _check_prompt("chat.system", self.chat.system, parameters, data=False)
        _check_prompt("chat.user", self.chat.user, parameters, data=True)
        _check_article_block(self.chat.system, self.chat.user)
        return self


def _placeholders(field: str, text: str) -> list[str]:
    """The placeholder names of a template, in order; bare names only."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"{field}: {exc} (write {{{{ and }}}} for literal braces)") from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"{field}: {{{name}}} takes no format spec or conversion")
        names.append(name)
    return names


def _check_prompt(field: str, text: str, parameters: set[str], *, data: bool) -> None:
    if not text.strip():
        raise ValueError(f"{field}: must not be empty")
    names = _placeholders(field, text)
    allowed = ({*DATA_PLACEHOLDERS} if data else set()) | parameters
    unknown = [n for n in names if n not in allowed]
    if unknown:
        if data or unknown[0] not in DATA_PLACEHOLDERS:
            listed = ", ".join(f"{{{n}}}" for n in [*DATA_PLACEHOLDERS, *sorted(parameters)])
            raise ValueError(f"{field}: unknown placeholder {{{unknown[0]}}}; allowed: {listed}")
        raise ValueError(
            f"{field}: {{{unknown[0]}}} belongs in chat.user, inside "
            f"{ARTICLE_OPEN} … {ARTICLE_CLOSE} (the system message holds no article text)"
        )
    if data and "text" not in names:
        raise ValueError(f"{field}: must contain {{text}}")
    if data and names.count("text") > 1:
        raise ValueError(f"{field}: must contain {{text}} once")
    for line in text.split("\n"):
        if "{title}" in line and "{text}" in line:
            raise ValueError(
                f"{field}: {{title}} and {{text}} must be on separate lines "
                "(a line holding {title} is left out when a job has no title)"
            )


def _check_article_block(system: str, user: str) -> None:
    if user.count(ARTICLE_OPEN) != 1 or user.count(ARTICLE_CLOSE) != 1:
        raise ValueError(f"chat.user: must hold one {ARTICLE_OPEN} … {ARTICLE_CLOSE} block")
    start, end = user.index(ARTICLE_OPEN), user.index(ARTICLE_CLOSE)
    if end < start:
        raise ValueError(f"chat.user: {ARTICLE_CLOSE} comes before {ARTICLE_OPEN}")
    outside = user[:start] + user[end:]
    for name in DATA_PLACEHOLDERS:
        if f"{{{name}}}" in outside:
            raise ValueError(
                f"chat.user: {{{name}}} must be inside {ARTICLE_OPEN} … {ARTICLE_CLOSE} "
                "(the article is data, not instructions)"
            )
    if ARTICLE_OPEN not in system:
        raise ValueError(
            f"chat.system: must name the {ARTICLE_OPEN} block as the material to summarize"
        )


# --- loaded styles ---------------------------------------------------------------------


def _fill(template: str, parameters: Mapping[str, int], text: str, title: str | None) -> str:
    if not title:
        lines = [line for line in template.split("\n") if "{title}" not in line]
        template = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return template.format(text=text, title=title or "", **parameters).strip()


@dataclass(frozen=True)
class SummaryStyle:
    name: str
    description: str
    output: ProseOutput | BulletsOutput | HeadlineOutput
    #: seq2seq prompts by family (``default``: BART, Pegasus and any other)
    templates: Mapping[str, str]
    #: seq2seq beam search
    decoding: Decoding
    chat: ChatPrompt
    path: Path

    @property
    def parameters(self) -> dict[str, int]:
        return output_parameters(self.output)

    def template_for(self, family: str) -> str:
        while family not in self.templates and family in FAMILY_FALLBACK:
            family = FAMILY_FALLBACK[family]
        return self.templates.get(family, self.templates["default"])

    def render(self, family: str, text: str, title: str | None = None) -> str:
        """The prompt of a seq2seq summarizer of this family."""
        return _fill(self.template_for(family), self.parameters, text, title)

    def chat_messages(self, text: str, title: str | None = None) -> list[ChatMessage]:
        """The system and user messages for a chat model; the article goes in as data."""
        system = _fill(self.chat.system, self.parameters, "", None)
        data_title = as_data(title) if title else None
        user = _fill(self.chat.user, self.parameters, as_data(text), data_title)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]


_NAMES_FIELD = re.compile(r"^[a-z][\w.-]*: ")


def _problems(err: ValidationError) -> list[str]:
    """``field: message`` for each problem of a style file (the output's form tag left out of
    field names: ``output.max_words``, not ``output.headline.max_words``)."""
    problems = []
    for item in err.errors():
        loc = [str(p) for p in item.get("loc", ())]
        if loc[:1] == ["output"] and item["type"].startswith("union_tag"):
            loc = ["output", "form"]
        elif loc[:1] == ["output"] and len(loc) > 1 and loc[1] in _FORMS:
            loc = ["output", *loc[2:]]
        message = str(item["msg"]).removeprefix("Value error, ")
        if not loc and _NAMES_FIELD.match(message):
            problems.append(message)  # a check of the whole file that names its field
            continue
        problems.append(f"{'.'.join(loc) or '(file)'}: {message}")
    return problems


def load_style(path: Path) -> SummaryStyle:
    """Read and validate one style file; ConfigurationError names the file and the field."""
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read style file: {exc}") from None
    try:
        spec = _StyleSpec.model_validate(raw)
    except ValidationError as err:
        raise ConfigurationError(f"{path}: invalid style: " + "; ".join(_problems(err))) from None
    if spec.name != path.stem:
        raise ConfigurationError(f"{path}: name: {spec.name!r} must match the file name")
    return SummaryStyle(
        name=spec.name,
        description=spec.description,
        output=spec.output,
        templates=dict(spec.template),
        decoding=Decoding(**spec.decoding.model_dump()),
        chat=spec.chat,
        path=path,
    )


class StyleBook:
    """All styles of one prompts directory, by name."""

    def __init__(self, styles: Mapping[str, SummaryStyle], default: str) -> None:
        if default not in styles:
            raise ConfigurationError(
                f"TARJAMA_DEFAULT_SUMMARY_STYLE={default!r} is not a style; "
                f"there are: {', '.join(sorted(styles))}"
            )
        self._styles = dict(styles)
        self.default = default

    @classmethod
    def load(cls, directory: Path | None = None, default: str = "standard") -> StyleBook:
        directory = directory or default_prompts_dir()
        files = sorted(directory.glob("*.toml"))
        if not files:
            raise ConfigurationError(f"{directory}: no summary styles (*.toml) found")
        return cls({f.stem: load_style(f) for f in files}, default)

    def get(self, name: str | None) -> SummaryStyle:
        style = self._styles.get(name or self.default)
        if style is None:
            raise UnknownStyle(
                f"unknown summary style {name!r}; the styles are: {', '.join(self.names)}"
            )
        return style

    @property
    def names(self) -> list[str]:
        return sorted(self._styles)

    def __iter__(self) -> Iterator[SummaryStyle]:
        return iter(self._styles[n] for n in self.names)
