"""Arabic text handling: paragraphs, sentences, script detection. Pure functions."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

ARABIC_LETTER = re.compile(
    r"[\u0620-\u064A\u066E-\u06D3\u06FA-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]"
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\r\n\s*\r\n")
_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'»”’)\]]*(?=\s|$)")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by blank lines or, in one-paragraph-per-line text, by newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _PARAGRAPH_BREAK.split(text) if _PARAGRAPH_BREAK.search(text) else text.split("\n")
    return [" ".join(block.split()) for block in blocks if block.strip()]


def split_sentences(paragraph: str) -> list[str]:
    """Cut after sentence-final punctuation (and any closing quotes) that precedes a space."""
    sentences, start = [], 0
    for end in _SENTENCE_END.finditer(paragraph):
        sentences.append(paragraph[start : end.end()].strip())
        start = end.end()
    sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def has_arabic(text: str) -> bool:
    return ARABIC_LETTER.search(text) is not None


_WORD_SEPARATORS = (r"(?<=؛)\s+", r"(?<=[،,;])\s+", r"\s+")


def split_to_fit(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` tokens; never drop a character.

    Tries the Arabic semicolon, then commas, then any word boundary; a single "word" longer
    than the limit (a run of letters with no space) is cut in halves as a last resort.
    """
    if count(text) <= limit:
        return [text]
    for separator in _WORD_SEPARATORS:
        parts = [p for p in re.split(separator, text) if p]
        if len(parts) > 1:
            break
    else:
        middle = len(text) // 2
        return split_to_fit(text[:middle], count, limit) + split_to_fit(text[middle:], count, limit)
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for part in parts:
        size = count(part)
        if current and used + size > limit:
            pieces.append(" ".join(current))
            current, used = [], 0
        current.append(part)
        used += size
    pieces.append(" ".join(current))
    # sums of part counts are an estimate: check each piece with the real count
    return [fitted for piece in pieces for fitted in split_to_fit(piece, count, limit)]


_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?%)\]}])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[{])\s+")


def collapse_repeats(text: str, max_n: int = 6, min_repeats: int = 3) -> str:
    """Cut generation loops: an n-gram repeated ``min_repeats``+ times in a row is kept once."""
    words = text.split()
    for n in range(1, max_n + 1):
        out: list[str] = []
        i = 0
        while i < len(words):
            gram = words[i : i + n]
            reps = 1
            while words[i + reps * n : i + (reps + 1) * n] == gram:
                reps += 1
            if len(gram) == n and reps >= min_repeats:
                out.extend(gram)
                i += reps * n
            else:
                out.append(words[i])
                i += 1
        words = out
    return " ".join(words)


def clean_translation(text: str) -> str:
    """Model output as a reader should see it: no entities, stray pieces or loops."""
    text = html.unescape(text).replace("▁", " ").replace("<unk>", " ")
    text = collapse_repeats(" ".join(text.split()))
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _SPACE_AFTER_OPEN.sub(r"\1", text).strip()
