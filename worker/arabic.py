"""Arabic source text as the model expects it: small named rules, applied in order.

opus-mt-ar-en was trained on text run through Moses' ``replace-unicode-punctuation``,
``remove-non-printing-char`` and ``normalize-punctuation -l ar`` before SentencePiece; the
model sees new text normalized the same way, plus a few Arabic rules (presentation forms,
tatweel, diacritics, quotes, digits). The normalized sentence is what is translated and
what keys the sentence cache; the result shows the reader's text. Pure functions; sacremoses
is imported on first use, so importing this module costs nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

Rule = Callable[[str], str]

TATWEEL = "\u0640"
#: Tashkeel and Quranic marks. Hamza above/below (U+0654/5) and maddah (U+0653) are kept:
#: after NFKC they only remain where no precomposed letter exists, and they carry sound.
DIACRITICS = re.compile(
    "[\u0610-\u061a\u064b-\u0652\u0656-\u065f\u0670"
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed]"
)
_DOUBLE_QUOTES = "«»“”„‟″〝〞〟＂‹›"
_SINGLE_QUOTES = "‘’‚‛′"
_QUOTES = str.maketrans(
    {**dict.fromkeys(_DOUBLE_QUOTES, '"'), **dict.fromkeys(_SINGLE_QUOTES, "'")}
)
_DIGITS = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic ٠-٩
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended (Persian/Urdu) ۰-۹
        "\u066b": ".",  # Arabic decimal separator ٫
        "\u066c": ",",  # Arabic thousands separator ٬
        "\u066a": "%",  # Arabic percent sign ٪
    }
)


def remove_invisible(text: str) -> str:
    """Drop format characters: zero-width (ZWSP, ZWNJ, ZWJ, BOM), bidi controls (LRM, RLM,
    ALM, embeddings, isolates), soft hyphens. Also applied to the text the reader sees."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def replace_control_chars(text: str) -> str:
    """Moses remove-non-printing-char: control, private-use and unassigned characters
    become a space (tabs and stray carriage returns included)."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Co", "Cn") else ch for ch in text)


def nfkc(text: str) -> str:
    """Unicode NFKC: presentation forms (ﻻ, ﷲ) become base letters, ligatures and full-width
    forms their plain equivalents, no-break spaces plain spaces, … three dots."""
    return unicodedata.normalize("NFKC", text)


def remove_tatweel(text: str) -> str:
    """Tatweel (ـ) only stretches a word on the page: كتــاب is كتاب."""
    return text.replace(TATWEEL, "")


def strip_diacritics(text: str) -> str:
    """Remove tashkeel (fatha, damma, kasra, tanween, shadda, sukun, dagger alef) and Quranic
    annotation marks; news text is mostly written without them."""
    return DIACRITICS.sub("", text)


def unify_quotes(text: str) -> str:
    """« » “ ” „ ‟ and friends become ", and ‘ ’ ‚ ‛ become '."""
    return text.translate(_QUOTES)


def western_digits(text: str) -> str:
    """Arabic-Indic digits and the Arabic decimal, thousands and percent signs become ASCII,
    so numbers reach the English text as 2.5 and 2,000, whichever digits the source used."""
    return text.translate(_DIGITS)


@cache
def _moses() -> Any:
    from sacremoses import MosesPunctNormalizer

    return MosesPunctNormalizer(lang="ar", pre_replace_unicode_punct=True)


def moses_punctuation(text: str) -> str:
    """Moses replace-unicode-punctuation + normalize-punctuation (-l ar), via sacremoses:
    spacing around brackets and colons, dashes, full-width punctuation, leftover quotes."""
    return str(_moses().normalize(text))


def collapse_whitespace(text: str) -> str:
    """One space between words, none at the ends."""
    return " ".join(text.split())


#: The rules in the order :func:`normalize` applies them.
RULES: tuple[Rule, ...] = (
    remove_invisible,
    replace_control_chars,
    nfkc,
    remove_tatweel,
    strip_diacritics,
    unify_quotes,
    western_digits,
    moses_punctuation,
    collapse_whitespace,
)


def normalize(text: str, *, keep_diacritics: bool = False) -> str:
    """The model's view of one sentence: every rule of :data:`RULES`, in order."""
    for rule in RULES:
        if keep_diacritics and rule is strip_diacritics:
            continue
        text = rule(text)
    return text
