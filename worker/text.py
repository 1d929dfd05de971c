"""Text structure: paragraphs, sentences, script detection, fitting the model, clean-up.

Pure functions. Normalization (what the model sees) is in :mod:`worker.arabic`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from tarjama.worker.arabic import remove_tatweel, strip_diacritics

#: Letters of the Arabic script (base, supplement, extended-A, presentation forms); not
#: tatweel, digits, punctuation or marks.
ARABIC_LETTER = re.compile(
    r"[\u0620-\u063F\u0641-\u064A\u066E\u066F\u0671-\u06D3\u06D5\u06EE\u06EF\u06FA-\u06FC"
    r"\u06FF\u0750-\u077F\u08A0-\u08C9\uFB50-\uFDFB\uFE70-\uFEFC]"
)
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
#: Sentence-final punctuation (a run: "?!", "..."), then any closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?؟…۔‼⁇⁈⁉]+[\"'»”’›)\]}]*")
_WORD_BEFORE = re.compile(r"[^\W\d_]+$")
#: Titles after which a full stop does not end an English sentence (summaries are English).
ENGLISH_TITLES = frozenset(
    {"Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Gen", "Col", "Lt", "Sgt", "Capt"}
    | {"Cmdr", "Gov", "Sen", "Rep", "Rev", "Mt", "vs"}
)


def split_blocks(text: str) -> list[list[str]]:
    """Paragraphs, each a list of its lines (whitespace collapsed, empty ones dropped).

    Paragraphs are separated by blank lines; text without any blank line has one
    paragraph per line. A line break inside a paragraph ends a sentence.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _PARAGRAPH_BREAK.split(text) if _PARAGRAPH_BREAK.search(text) else text.split("\n")
    lines = [[" ".join(line.split()) for line in block.split("\n")] for block in blocks]
    return [kept for block in lines if (kept := [line for line in block if line])]


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs as single lines (see :func:`split_blocks`)."""
    return [" ".join(lines) for lines in split_blocks(text)]


def _is_abbreviation(before: str) -> bool:
    """Whether a full stop after ``before`` belongs to an abbreviation or a list number:
    a single letter (د. محمد, U.S., هـ.), an English title (Mr.), or a sentence that so far is
    only a number (1. at the start of a list item)."""
    word = _WORD_BEFORE.search(strip_diacritics(remove_tatweel(before)))
    if word is not None:
        return len(word.group()) == 1 or word.group() in ENGLISH_TITLES
    stripped = before.strip()
    return stripped.isdigit() and len(stripped) <= 3


def _ends_sentence(line: str, start: int, match: re.Match[str]) -> bool:
    after = line[match.end() : match.end() + 1]
    if after and not (after.isspace() or ARABIC_LETTER.match(after)):
        return False  # 3.5, example.com, a run of punctuation inside a token
    before = line[start : match.start()]
    if not any(ch.isalnum() for ch in before):
        return False  # nothing to end yet: a leading "..." stays with what follows
    return match.group() != "." or not _is_abbreviation(before)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, in order; together they hold every non-space character.

    A sentence ends at . ! ? ؟ … (or a run of them, with any closing quotes or brackets
    after) when a space, the end of the line or an Arabic letter follows, and at every line
    break. Not at ، or ؛, not inside numbers (3.5, 2,000) or names (example.com), not after
    a single-letter abbreviation (د. محمد, U.S.), an English title (Mr.) or a list number.
    """
    sentences: list[str] = []
    for line in text.split("\n"):
        start = 0
        for match in _SENTENCE_END.finditer(line):
            if _ends_sentence(line, start, match):
                sentences.append(line[start : match.end()].strip())
                start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def has_arabic(text: str) -> bool:
    return ARABIC_LETTER.search(text) is not None


#: Where an over-long sentence is cut, in order of preference.
_WORD_SEPARATORS = (r"(?<=؛)\s+", r"(?<=[،,;])\s+", r"\s+")


def split_to_fit(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` tokens; never drop a character.

    Tries the Arabic semicolon, then commas, then any word boundary; a single "word" longer
    than the limit (a run of letters with no space) is cut in halves as a last resort. Each
    piece is checked with the real ``count``; the pieces, joined by spaces, are ``text``
    with its whitespace runs collapsed.
    """
    if count(text) <= limit:
        return [text]
    for separator in _WORD_SEPARATORS:
        parts = [p for p in re.split(separator, text) if p]
        if len(parts) > 1:
            return _pack(parts, count, limit)
    return _halve(text, count, limit)


def _pack(parts: list[str], count: Callable[[str], int], limit: int) -> list[str]:
    """Greedily join consecutive parts while their summed counts stay within the limit."""
    overhead = count("")  # special tokens every count includes (</s>): counted once
    groups: list[list[str]] = []
    current: list[str] = []
    used = overhead
    for part in parts:
        size = count(part) - overhead
        if current and used + size > limit:
            groups.append(current)
            current, used = [], overhead
        current.append(part)
        used += size
    groups.append(current)
    pieces: list[str] = []
    for group in groups:
        if len(group) == 1:
            pieces.extend(split_to_fit(group[0], count, limit))  # next separator down
            continue
        joined = " ".join(group)
        if count(joined) <= limit:
            pieces.append(joined)
        else:  # summed counts were an estimate: halve the group and check again
            middle = len(group) // 2
            pieces.extend(_pack(group[:middle], count, limit) + _pack(group[middle:], count, limit))
    return pieces


def _halve(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    middle = len(text) // 2
    while 0 < middle < len(text) - 1 and unicodedata.combining(text[middle]):
        middle += 1  # keep a letter and its marks together
    if middle == 0:
        return [text]
    return split_to_fit(text[:middle], count, limit) + split_to_fit(text[middle:], count, limit)


_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?%)\]}])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[{])\s+")
_QUOTED = re.compile(r'"\s*([^"]*?)\s*"')
#: Arabic punctuation the model sometimes copies into English.
_ARABIC_PUNCTUATION = str.maketrans({"،": ",", "؛": ";", "؟": "?", "٪": "%"})


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


def unescape_entities(text: str) -> str:
    """Decode HTML entities (&apos; &quot; &amp;), also doubly escaped ones (&amp;quot;)."""
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def tidy_quotes(text: str) -> str:
    """No space just inside paired straight quotes: ' " hello " ' becomes ' "hello" '."""
    if text.count('"') % 2:
        return text  # unpaired: leave them as they are
    return _QUOTED.sub(r'"\1"', text)


def clean_translation(text: str) -> str:
    """Model output as a reader should see it: no entities, stray pieces or loops."""
    text = unescape_entities(text).replace("▁", " ").replace("<unk>", " ")
    text = collapse_repeats(" ".join(text.translate(_ARABIC_PUNCTUATION).split()))
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return tidy_quotes(_SPACE_AFTER_OPEN.sub(r"\1", text)).strip()
