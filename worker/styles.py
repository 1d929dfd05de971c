"""Summary styles: loaded from ``prompts/*.toml``, validated at start-up, rendered per model family.

A style file holds a name, a description, a prompt template per model family (BART and
Pegasus take the text as it is; T5 and FLAN-T5 take an instruction), decoding settings,
and the output shape (prose with at most N sentences, or bullet points).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tarjama.worker.errors import ConfigurationError, UnknownStyle
from tarjama.worker.models.engine import Decoding

PLACEHOLDERS = frozenset({"text", "title"})
#: Family fallbacks: a style without a template for the family tries the next one.
FAMILY_FALLBACK: dict[str, str] = {"flan-t5": "t5", "mt5": "t5", "long-t5": "t5"}


def default_prompts_dir() -> Path:
    from tarjama import prompts

    return Path(prompts.__file__).parent


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
    output: Literal["prose", "bullets"] = "prose"
    max_sentences: int = Field(ge=1, le=20)
    template: dict[str, str] = Field(min_length=1)
    decoding: _DecodingSpec

    @model_validator(mode="after")
    def _templates(self) -> _StyleSpec:
        if "default" not in self.template:
            raise ValueError("template.default is required (used for BART, Pegasus and others)")
        for family, text in self.template.items():
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            unknown = fields - PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"template.{family}: unknown placeholder {{{sorted(unknown)[0]}}}; "
                    f"allowed: {{text}}, {{title}}"
                )
            if "text" not in fields:
                raise ValueError(f"template.{family}: must contain {{text}}")
        return self


@dataclass(frozen=True)
class SummaryStyle:
    name: str
    description: str
    output: Literal["prose", "bullets"]
    max_sentences: int
    templates: Mapping[str, str]
    decoding: Decoding
    path: Path

    def template_for(self, family: str) -> str:
        while family not in self.templates and family in FAMILY_FALLBACK:
            family = FAMILY_FALLBACK[family]
        return self.templates.get(family, self.templates["default"])

    def render(self, family: str, text: str, title: str | None = None) -> str:
        return self.template_for(family).format(text=text, title=title or "").strip()


def load_style(path: Path) -> SummaryStyle:
    """Read and validate one style file; ConfigurationError names the file and the field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read style file: {exc}") from None
    try:
        spec = _StyleSpec.model_validate(raw)
    except ValidationError as err:
        problems = []
        for item in err.errors():
            field = ".".join(str(p) for p in item.get("loc", ())) or "(file)"
            problems.append(f"{field}: {str(item['msg']).removeprefix('Value error, ')}")
        raise ConfigurationError(f"{path}: invalid style: " + "; ".join(problems)) from None
    if spec.name != path.stem:
        raise ConfigurationError(f"{path}: name: {spec.name!r} must match the file name")
    return SummaryStyle(
        name=spec.name,
        description=spec.description,
        output=spec.output,
        max_sentences=spec.max_sentences,
        templates=dict(spec.template),
        decoding=Decoding(**spec.decoding.model_dump()),
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
