"""A model's summary made into the style's output: prose, bullet points or a headline.

Pure functions. :func:`shape_summary` shapes a seq2seq summarizer's text (sentences cut to
the style's maximum); :func:`clean_chat_summary` first takes off what chat models wrap around
an answer (a preamble such as "Sure! Here is a summary:", a closing "I hope this helps",
markdown emphasis, headers, links, list markers of any kind) and then shapes it the same way.
:func:`summary_flags` marks a summary a person should look at before it is published.
"""

from __future__ import annotations

import re

from tarjama.worker.flags import SUMMARY_EMPTY, SUMMARY_HAS_ARABIC, Flag, flag
from tarjama.worker.styles import BulletsOutput, HeadlineOutput, ProseOutput
from tarjama.worker.text import ARABIC_LETTER, split_sentences

Output = ProseOutput | BulletsOutput | HeadlineOutput

#: A list item: -, *, +, •, ·, ‣, ▪, ◦, –, — or a number (1. 1) (1)), then a space.
_BULLET = re.compile(r"^(?:[-*+•·‣▪◦–—]|\(?\d{1,2}[.)])\s+(?=\S)")
_HEADING = re.compile(r"^#{1,6}\s*")
_QUOTE_BLOCK = re.compile(r"^>\s?")
_RULE = re.compile(r"^(?:[-*_=]\s*){3,}$")
_EMPHASIS = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"__(?=\S)(.+?)(?<=\S)__"),
    re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])"),
    re.compile(r"`([^`]+)`"),
    re.compile(r"\[([^\]]+)\]\([^)\s]*\)"),  # [text](link)
)
_LABELS = (
    r"summary|brief summary|short summary|news summary|headline|title|key points|key facts"
    r"|main points|bullet points|highlights|tl;?dr|in summary|in short|answer"
)
#: A line that is only a label ("Summary:", "Key points").
_LABEL_LINE = re.compile(rf"^(?:{_LABELS})\s*(?:\([^)]*\))?\s*:?$", re.IGNORECASE)
#: A label before the text on the same line ("Headline: …", "Summary – …").
_LABEL_PREFIX = re.compile(rf"^(?:{_LABELS})\s*(?:\([^)]*\))?\s*[:–—-]\s+", re.IGNORECASE)
_COURTESY = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|alright|great|gladly|yes)\b[!.,]*\s*",
    re.IGNORECASE,
)
_INTRO = r"(?:here(?:'s|’s| is| are)|below (?:is|are)|the following (?:is|are))\b"
#: An introduction that ends with a colon ("Here is a summary of the article:").
_INTRO_COLON = re.compile(rf"^{_INTRO}[^:\n]{{0,160}}:\s*", re.IGNORECASE)
#: An introduction sentence that names what follows ("Here is a 3-sentence summary.").
_INTRO_SENTENCE = re.compile(
    rf"^(?:{_INTRO}|this is\b)[^.!\n]{{0,160}}\b(?:summar\w*|headline|bullet\w*|points|overview)\b"
    r"[^.!\n]{0,80}[.!]\s*",
    re.IGNORECASE,
)
_ANNOUNCES = re.compile(
    r"\b(?:summar\w*|headline|points?|facts|highlights|article|here|below|following"
    r"|overview)\b",
    re.IGNORECASE,
)
#: What chat models add after an answer.
_CLOSING = re.compile(
    r"^(?:i hope|hope this|let me know|feel free|if you (?:need|have|want|would)"
    r"|is there anything|would you like|please let me)\b",
    re.IGNORECASE,
)
_QUOTES = "\"'“”‘’«»„‹›"
_TRAILING_CUT = re.compile(r"[\s,;:–—-]+$")


def shape_summary(text: str, output: Output) -> str:
    """A seq2seq summarizer's text in the style's shape: at most N sentences as prose, N
    sentences as bullet points, or the first sentence as a headline."""
    sentences = split_sentences(" ".join(text.split()))
    if isinstance(output, HeadlineOutput):
        return _headline(sentences[0] if sentences else "", output.max_words)
    if isinstance(output, BulletsOutput):
        return "\n".join(f"- {s}" for s in sentences[: output.max_bullets])
    return " ".join(sentences[: output.max_sentences])


def clean_chat_summary(text: str, output: Output) -> str:
    """A chat model's answer as a summary of the style's shape (see the module doc)."""
    lines = _drop_closing(_drop_preamble(_plain_lines(text)))
    if isinstance(output, HeadlineOutput):
        first = next((_unbullet(line) for line in lines if line), "")
        return _headline(first, output.max_words)
    bulleted = [_unbullet(line) for line in lines if _BULLET.match(line)]
    if isinstance(output, BulletsOutput):
        items = bulleted or _sentences(lines)
        return "\n".join(f"- {item}" for item in items[: output.max_bullets])
    items = [_as_sentence(_unbullet(line)) for line in lines] if bulleted else lines
    sentences = split_sentences(" ".join(" ".join(items).split()))
    return " ".join(sentences[: output.max_sentences])


def summary_flags(text: str) -> list[Flag]:
    """What a person should check before the summary is used: it is empty, or it holds
    Arabic letters (untranslated text reached it, or the model answered in Arabic)."""
    if not text.strip():
        return [flag(SUMMARY_EMPTY, "the model produced no summary text")]
    arabic = len(ARABIC_LETTER.findall(text))
    if arabic:
        return [
            flag(
                SUMMARY_HAS_ARABIC,
                f"the summary contains {arabic} Arabic letter{'s' if arabic > 1 else ''}: "
                "untranslated text, or a model that answered in Arabic",
            )
        ]
    return []


# --- pieces ------------------------------------------------------------------------------


def _plain(line: str) -> str:
    """A line without markdown: no header marks, block quotes, emphasis, code or links."""
    line = _QUOTE_BLOCK.sub("", _HEADING.sub("", line.strip()))
    for pattern in _EMPHASIS:
        line = pattern.sub(r"\1", line)
    return " ".join(line.replace("**", "").replace("__", "").split())


def _plain_lines(text: str) -> list[str]:
    lines = [_plain(line) for line in text.replace("\r\n", "\n").split("\n")]
    return [line for line in lines if line and not _RULE.match(line)]


def _drop_preamble(lines: list[str]) -> list[str]:
    """Take off leading courtesy words, introductions and labels (on their own line or in
    front of the text), as long as something is left after them."""
    lines = list(lines)
    while lines:
        first = lines[0]
        rest = lines[1:]
        if (_LABEL_LINE.match(first) or (first.endswith(":") and _is_intro(first))) and rest:
            lines = rest
            continue
        stripped = first
        for pattern in (_COURTESY, _INTRO_COLON, _INTRO_SENTENCE, _LABEL_PREFIX):
            stripped = pattern.sub("", stripped, count=1)
        if stripped == first:
            break
        lines = [stripped, *rest] if stripped else rest
    return lines


def _is_intro(line: str) -> bool:
    """A short line that ends in a colon and announces the answer ("Key facts from the
    article:"), not a sentence of it ("The minister said:")."""
    return (
        len(line.split()) <= 14 and not _BULLET.match(line) and _ANNOUNCES.search(line) is not None
    )


def _drop_closing(lines: list[str]) -> list[str]:
    """Take off trailing lines, or last sentences, that talk to the reader."""
    lines = list(lines)
    while lines:
        sentences = split_sentences(lines[-1])
        kept = list(sentences)
        while kept and _CLOSING.match(kept[-1]):
            kept.pop()
        if len(kept) == len(sentences):
            break
        lines = lines[:-1] + ([" ".join(kept)] if kept else [])
    return lines


def _unbullet(line: str) -> str:
    return _BULLET.sub("", line).strip()


def _as_sentence(item: str) -> str:
    return item if not item or item[-1] in ".!?…\"'”’)" else item + "."


def _sentences(lines: list[str]) -> list[str]:
    return split_sentences(" ".join(" ".join(lines).split()))


def _headline(line: str, max_words: int) -> str:
    """One line of at most ``max_words`` words, without a label, quotes or a final stop."""
    line = _LABEL_PREFIX.sub("", " ".join(line.split()))
    for _ in range(2):  # "“Solar plant opens.”" → Solar plant opens
        line = line.strip(_QUOTES + " ").rstrip(".").strip()
    words = line.split()
    if len(words) > max_words:
        line = _TRAILING_CUT.sub("", " ".join(words[:max_words]))
        line = line.strip(_QUOTES + " ")
    return line.rstrip(".")
