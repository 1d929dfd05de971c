"""The way of one article: segment, translate, summarize. Plain functions over plain data.

Engines are known only through the :class:`~worker.models.engine.Translator` and
:class:`~worker.models.engine.Summarizer` Protocols, and the sentence cache through
:class:`SentenceCache`; nothing here knows Celery or Redis, so it is testable alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from tarjama.worker.arabic import normalize
from tarjama.worker.errors import InvalidArticle
from tarjama.worker.flags import Flag
from tarjama.worker.jobs import ArticleInput
from tarjama.worker.markup import source_blocks
from tarjama.worker.models.engine import Summarizer, Translator
from tarjama.worker.styles import SummaryStyle
from tarjama.worker.summary_shape import shape_summary, summary_flags
from tarjama.worker.text import (
    clean_translation,
    has_arabic,
    split_paragraphs,
    split_sentences,
    split_to_fit,
)

ProgressFn = Callable[[str, int, int], None]
Origin = Literal["model", "cache", "passthrough"]
MAX_REDUCE_LEVELS = 6


def no_progress(stage: str, done: int, total: int) -> None:
    """The default progress sink."""


class SentenceCache(Protocol):
    """Translations of single sentences, keyed by everything that shapes the output."""

    def get_many(self, namespace: str, sentences: Sequence[str]) -> list[str | None]: ...

    def set_many(self, namespace: str, pairs: Mapping[str, str]) -> None: ...


@dataclass
class Segment:
    """One source sentence and its translation.

    ``source`` is the sentence as the reader sees it (after HTML extraction and whitespace
    clean-up); ``normalized`` is what the model translates and what keys the cache.
    """

    source: str
    translation: str = ""
    origin: Origin = "model"
    normalized: str = ""
    #: how many pieces the sentence was cut into to fit the model (1: not cut)
    pieces: int = 1


@dataclass
class Document:
    title: list[Segment]
    paragraphs: list[list[Segment]]

    @property
    def segments(self) -> list[Segment]:
        return self.title + [s for paragraph in self.paragraphs for s in paragraph]


def _segments(lines: list[str], keep_diacritics: bool) -> list[Segment]:
    return [
        Segment(sentence, normalized=normalize(sentence, keep_diacritics=keep_diacritics))
        for line in lines
        for sentence in split_sentences(line)
    ]


def prepare_document(article: ArticleInput, *, keep_diacritics: bool = False) -> Document:
    """Split the article (plain text or HTML) into paragraphs of sentences, each normalized
    for the model; the title is its own paragraph."""
    blocks = source_blocks(article.text, article.format)
    paragraphs = [segments for b in blocks if (segments := _segments(b, keep_diacritics))]
    if not paragraphs:
        where = " outside the markup" if article.format == "html" else ""
        raise InvalidArticle(f"text has no sentences to translate{where}")
    title_lines = [line for b in source_blocks(article.title or "", article.format) for line in b]
    return Document(title=_segments(title_lines, keep_diacritics), paragraphs=paragraphs)


@dataclass
class TranslationOutput:
    document: Document
    seconds: float
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def title(self) -> str | None:
        return " ".join(s.translation for s in self.document.title) or None

    @property
    def text(self) -> str:
        return "\n\n".join(
            " ".join(s.translation for s in paragraph) for paragraph in self.document.paragraphs
        )

    @property
    def over_limit_sentences(self) -> int:
        """Sentences longer than the model's input limit that the model translated in pieces
        in this job (a cache hit is not planned again, so it is not counted)."""
        return sum(1 for s in self.document.segments if s.pieces > 1)


def plan_pieces(sentences: Sequence[str], translator: Translator) -> list[list[str]]:
    """What the model is given for each sentence: itself, or, when it is longer than the
    model's input limit (counted with the model's own tokenizer), pieces that each fit,
    cut at ؛ then ، then between words (:func:`~worker.text.split_to_fit`). Never truncated.
    """
    limit = translator.max_input_tokens

    def count(text: str) -> int:
        return translator.count_tokens([text])[0]

    lengths = translator.count_tokens(sentences)
    return [
        [sentence] if n <= limit else split_to_fit(sentence, count, limit)
        for sentence, n in zip(sentences, lengths, strict=True)
    ]


def _translate_unique(
    sentences: list[str], translator: Translator, report: Callable[[int], None]
) -> dict[str, tuple[str, int]]:
    """Raw model output (pieces joined) and the number of pieces, per distinct sentence."""
    if not sentences:
        return {}
    pieces_of = plan_pieces(sentences, translator)
    flat = [piece for pieces in pieces_of for piece in pieces]
    translated = iter(translator.translate(flat, on_progress=report))
    return {
        sentence: (" ".join(next(translated) for _ in pieces), len(pieces))
        for sentence, pieces in zip(sentences, pieces_of, strict=True)
    }


def translate_document(
    document: Document,
    translator: Translator,
    *,
    cache: SentenceCache | None = None,
    progress: ProgressFn = no_progress,
) -> TranslationOutput:
    """Translate every sentence of the document in place.

    Sentences without Arabic letters, and those already marked ``passthrough`` (by the
    language gate), pass through as written; each distinct normalized sentence is
    translated once (within the article, and across articles through the cache, which
    holds the model's raw output; the clean-up runs on every use).
    """
    started = time.perf_counter()
    segments = document.segments
    total = len(segments)
    for seg in segments:
        seg.normalized = seg.normalized or seg.source
        if seg.origin == "passthrough" or not has_arabic(seg.normalized):
            seg.translation, seg.origin = seg.source, "passthrough"
    pending = list(dict.fromkeys(s.normalized for s in segments if s.origin != "passthrough"))
    namespace = cache_namespace(translator)
    known: dict[str, str] = {}
    if cache is not None and pending:
        hits = cache.get_many(namespace, pending)
        known = {src: hit for src, hit in zip(pending, hits, strict=True) if hit is not None}
    misses = [src for src in pending if src not in known]
    missed = set(misses)
    resolved = total - sum(1 for s in segments if s.normalized in missed)
    progress("translating", resolved, total)

    def report(done_pieces: int) -> None:
        progress("translating", min(total, resolved + done_pieces), total)

    fresh = _translate_unique(misses, translator, report)
    if cache is not None and fresh:
        cache.set_many(namespace, {src: raw for src, (raw, _) in fresh.items()})
    cleaned: dict[str, str] = {}  # repeated sentences (boilerplate) are cleaned once
    for seg in segments:
        if seg.origin == "passthrough":
            continue
        if seg.normalized in fresh:
            raw, seg.pieces = fresh[seg.normalized]
        else:
            raw, seg.origin = known[seg.normalized], "cache"
        if raw not in cleaned:
            cleaned[raw] = clean_translation(raw)
        seg.translation = cleaned[raw]
    progress("translating", total, total)
    return TranslationOutput(
        document=document,
        seconds=round(time.perf_counter() - started, 3),
        cache_hits=sum(1 for s in segments if s.origin == "cache"),
        cache_misses=sum(1 for s in segments if s.origin == "model"),
    )


def cache_namespace(translator: Translator) -> str:
    info = translator.info
    return "|".join(
        [
            info.id,
            info.revision or "-",
            info.engine,
            info.compute_type,
            translator.decoding_fingerprint,
        ]
    )


# --- summaries -------------------------------------------------------------------------


@dataclass
class SummaryOutput:
    text: str
    style: str
    strategy: Literal["single", "map_reduce"]
    chunks: int
    levels: int
    input_tokens: int
    seconds: float
    chunk_tokens: list[int] = field(default_factory=list)
    #: what a person should check (empty, Arabic letters): ``summary.flags`` of the result
    flags: list[Flag] = field(default_factory=list)


def chunk_sentences(
    sentences: Sequence[str], fits: Callable[[str], bool], count: Callable[[str], int], budget: int
) -> list[str]:
    """Pack sentences into chunks that each fit the summarizer's input.

    Each sentence is counted once (linear in the text); the sums are an estimate, so every
    chunk is then checked with a real count and halved in the rare case it does not fit.
    A sentence longer than the budget is split at clause or word boundaries, never cut.
    """
    specials = count("")  # BOS/EOS that every separate count includes
    pieces: list[str] = []
    sizes: list[int] = []
    for sentence in sentences:
        size = count(sentence) - specials
        parts = [sentence] if size <= budget else split_to_fit(sentence, count, budget)
        pieces.extend(parts)
        sizes.extend([size] if len(parts) == 1 else [count(p) - specials for p in parts])
    groups: list[list[str]] = []
    current: list[str] = []
    used = 0
    for piece, size in zip(pieces, sizes, strict=True):
        if current and used + size + 1 > budget:
            groups.append(current)
            current, used = [], 0
        current.append(piece)
        used += size + 1  # a joining space may cost a token
    if current:
        groups.append(current)
    return [chunk for group in groups for chunk in _fitting(group, fits)]


def _fitting(group: list[str], fits: Callable[[str], bool]) -> list[str]:
    text = " ".join(group)
    if len(group) == 1 or fits(text):
        return [text]
    middle = len(group) // 2
    return _fitting(group[:middle], fits) + _fitting(group[middle:], fits)


def summarize_text(
    text: str,
    title: str | None,
    style: SummaryStyle,
    summarizer: Summarizer,
    *,
    progress: ProgressFn = no_progress,
) -> SummaryOutput:
    """Summarize text of any length: in one pass when it fits, else map-reduce over chunks."""
    started = time.perf_counter()
    family = summarizer.info.family
    limit = summarizer.max_input_tokens

    def prompt(body: str) -> str:
        return style.render(family, body, title)

    def fits(body: str) -> bool:
        return summarizer.count_tokens(prompt(body)) <= limit

    input_tokens = summarizer.count_tokens(prompt(text))
    body, levels, first_chunks, chunk_tokens = text, 0, 1, []
    while not fits(body):
        levels += 1
        if levels > MAX_REDUCE_LEVELS:
            raise RuntimeError("summary input does not shrink; check the style's max_new_tokens")
        budget = limit - summarizer.count_tokens(prompt(""))
        sentences = [s for p in split_paragraphs(body) for s in split_sentences(p)]
        chunks = chunk_sentences(sentences, fits, summarizer.count_tokens, budget)
        if levels == 1:
            first_chunks = len(chunks)
            chunk_tokens = [summarizer.count_tokens(prompt(c)) for c in chunks]
        partials: dict[str, str] = {}  # repeated chunks (boilerplate) are summarized once
        for done, chunk in enumerate(chunks):
            progress("summarizing", done, len(chunks) + 1)
            if chunk not in partials:
                partials[chunk] = summarizer.summarize(prompt(chunk), style.decoding)
        body = " ".join(partials[chunk] for chunk in chunks)
    progress("summarizing", first_chunks, first_chunks + (1 if levels else 0))
    summary = shape_summary(summarizer.summarize(prompt(body), style.decoding), style.output)
    return SummaryOutput(
        text=summary,
        style=style.name,
        strategy="map_reduce" if levels else "single",
        chunks=first_chunks,
        levels=levels + 1,
        input_tokens=input_tokens,
        seconds=round(time.perf_counter() - started, 3),
        chunk_tokens=chunk_tokens or [input_tokens],
        flags=summary_flags(summary),
    )
