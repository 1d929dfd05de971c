"""The job input: what a producer sends, how it is validated, and its idempotent id.

Imported by producers as well as workers, so it imports no torch and no transformers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from tarjama.worker.errors import ArticleTooLarge, InvalidArticle
from tarjama.worker.stages import KINDS, JobKind

Priority = Literal["urgent", "normal", "bulk"]


class ArticleInput(BaseModel):
    """One job's input. ``text`` is Arabic for article/translation jobs, English for summary."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # The descriptions (and the schema-only pattern on text) go into the published contract,
    # tasks/schemas/job.schema.json, which is generated from this model.
    text: str = Field(
        description="The article body: Arabic for tarjama.process_article and tarjama.translate, "
        "English for tarjama.summarize; paragraphs separated by blank lines or newlines. Not "
        "empty or only whitespace, no NUL characters, at most TARJAMA_MAX_ARTICLE_CHARS "
        "(default 100,000) characters.",
        json_schema_extra={"minLength": 1, "pattern": "\\S"},
    )
    title: str | None = Field(
        None, max_length=2_000, description="The headline; translated like the body."
    )
    id: str | None = Field(
        None,
        max_length=256,
        description="Your article id: echoed back in the result (article.id) and on the "
        "results stream (article_id).",
    )
    source_url: str | None = Field(None, max_length=4_096, description="Echoed back.")
    metadata: dict[str, JsonValue] = Field(
        default_factory=dict, description="Any JSON object; echoed back in the result."
    )
    summary_style: str | None = Field(
        None,
        max_length=64,
        description="A summary style of the deployment (prompts/: standard, brief, bullets, "
        "headline); default TARJAMA_DEFAULT_SUMMARY_STYLE. An unknown style fails as "
        "unknown_style.",
    )
    format: Literal["text", "html"] = Field("text", description="How text is marked up.")
    priority: Priority = Field(
        "normal",
        description="When the job runs (urgent first), not what it computes: not part of "
        "the job id.",
    )
    source_language: str | None = Field(
        None,
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="The language of text, as a BCP 47 tag or ISO 639 code (ar, ar-EG, arz). "
        "Default: ar for tarjama.process_article and tarjama.translate (Arabic, dialects "
        "included, is the only source language), en for tarjama.summarize. Another language, "
        "or text that the language gate confidently finds is not Arabic, fails as "
        "unsupported_language (or passes through untranslated, per the deployment's "
        "TARJAMA_UNSUPPORTED_LANGUAGES).",
    )

    def identity(self) -> dict[str, Any]:
        """The fields that decide the result (priority only decides when it is computed).

        An unset ``source_language`` is left out, so jobs keep the ids they had before the
        field existed."""
        exclude = {"priority"} | ({"source_language"} if self.source_language is None else set())
        return self.model_dump(exclude=exclude)


def article_id(payload: Any) -> str | None:
    """The producer's article id (the job's ``id`` field), if the payload has one."""
    value = payload.get("id") if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def _describe(err: ValidationError) -> str:
    parts = []
    for item in err.errors():
        where = ".".join(str(p) for p in item.get("loc", ())) or "job"
        msg = str(item["msg"])
        if item["type"] == "extra_forbidden":
            allowed = ", ".join(ArticleInput.model_fields)
            msg = f"unknown field; allowed fields are {allowed}"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def _unicode_problem(value: str) -> str | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"invalid Unicode (lone surrogate at character {exc.start})"
    if "\x00" in value:
        return f"a NUL character at position {value.index(chr(0))} (binary data?)"
    return None


def parse_job(payload: Any, *, max_chars: int) -> ArticleInput:
    """Validate one job payload; raise InvalidArticle / ArticleTooLarge with a clear message."""
    if not isinstance(payload, dict):
        raise InvalidArticle(
            f"the job must be a JSON object with a 'text' field, got {type(payload).__name__}"
        )
    try:
        article = ArticleInput.model_validate(payload)
    except ValidationError as err:
        raise InvalidArticle(f"invalid job: {_describe(err)}") from None
    for field in ("text", "title"):
        value = getattr(article, field)
        if value is not None and (problem := _unicode_problem(value)):
            raise InvalidArticle(f"{field} contains {problem}")
    if not article.text.strip():
        raise InvalidArticle("text is empty or only whitespace; send the article's body")
    if len(article.text) > max_chars:
        raise ArticleTooLarge(
            f"text has {len(article.text):,} characters; the limit is {max_chars:,} "
            "(TARJAMA_MAX_ARTICLE_CHARS). Split the article or raise the limit."
        )
    return article


def job_id_for(kind: JobKind, payload: Any) -> str:
    """A deterministic id from the task and the job's content and options.

    The same article with the same options gets the same id, so a resubmission finds the
    stored result instead of computing it again. Invalid payloads still get a stable id
    (so their stored failure can be found) from their raw JSON.
    """
    try:
        identity: Any = ArticleInput.model_validate(payload).identity()
    except ValidationError:
        identity = payload
    canonical = json.dumps(
        [KINDS[kind].task, identity], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{KINDS[kind].id_prefix}-{digest[:32]}"


def short_summary(payload: Any, limit: int = 80) -> str:
    """What Flower and logs show of a job: the first characters of its title or text."""
    if not isinstance(payload, Mapping):
        return f"<{type(payload).__name__}>"
    head = payload.get("title") or payload.get("text")
    if not isinstance(head, str):
        return "<no text>"
    head = " ".join(head.split())
    shown = head if len(head) <= limit else head[: limit - 1] + "…"
    text = payload.get("text")
    size = f", {len(text):,} chars" if isinstance(text, str) else ""
    return f"{shown!r}{size}"
