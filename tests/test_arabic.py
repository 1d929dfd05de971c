"""Normalization: every rule on its own table, then the rules together."""

from __future__ import annotations

import pytest

from tarjama.worker.arabic import (
    RULES,
    Rule,
    collapse_whitespace,
    moses_punctuation,
    nfkc,
    normalize,
    remove_invisible,
    remove_tatweel,
    replace_control_chars,
    strip_diacritics,
    unify_quotes,
    western_digits,
)

RULE_CASES: list[tuple[Rule, str, str]] = [
    (remove_invisible, "كل\u200bمة", "كلمة"),  # zero-width space
    (remove_invisible, "\u200fقال\u200e OK", "قال OK"),  # RLM, LRM
    (remove_invisible, "\u202bنص\u202c \u2067آخر\u2069", "نص آخر"),  # embedding, isolate
    (remove_invisible, "\ufeffبداية", "بداية"),  # BOM
    (remove_invisible, "\u061cعربي", "عربي"),  # Arabic letter mark
    (remove_invisible, "soft\u00adhyphen", "softhyphen"),
    (replace_control_chars, "قال\tإن", "قال إن"),
    (replace_control_chars, "a\x0bb\x07c", "a b c"),
    (replace_control_chars, "خاص\ue000", "خاص "),  # private use
    (nfkc, "ﻻ", "لا"),  # presentation form ligature
    (nfkc, "ﷲ", "الله"),
    (nfkc, "ﺍﻟﻌﺮﺑﻴﺔ", "العربية"),  # contextual forms
    (nfkc, "١٢", "١٢"),  # Arabic-Indic digits are not compatibility forms
    (nfkc, "a\u00a0b", "a b"),
    (nfkc, "…", "..."),
    (remove_tatweel, "كتــاب", "كتاب"),
    (remove_tatweel, "بسرعةـ مع", "بسرعة مع"),
    (remove_tatweel, "هـ", "ه"),
    (strip_diacritics, "مُحَمَّدٌ", "محمد"),
    (strip_diacritics, "عاماً", "عاما"),
    (strip_diacritics, "هٰذا", "هذا"),  # dagger alef
    (strip_diacritics, "أإآ", "أإآ"),  # hamza and madda letters stay
    (unify_quotes, "«نعم»", '"نعم"'),
    (unify_quotes, "“نعم”", '"نعم"'),
    (unify_quotes, "„نعم“", '"نعم"'),
    (unify_quotes, "‘yes’", "'yes'"),
    (western_digits, "٢٠١٥", "2015"),
    (western_digits, "٣٫٥", "3.5"),
    (western_digits, "٢٬٠٠٠", "2,000"),
    (western_digits, "۱۲٪", "12%"),
    (moses_punctuation, "قال :نعم", "قال:نعم"),
    (moses_punctuation, "(الخليج اونلاين)افتتاح", "(الخليج اونلاين) افتتاح"),
    (moses_punctuation, "( نص )", "(نص)"),
    (moses_punctuation, "حرب — سلام – 1", "حرب - سلام - 1"),
    (moses_punctuation, "50 %", "50%"),
    (moses_punctuation, "قال： نعم？", "قال: نعم?"),  # full-width punctuation
    (moses_punctuation, "فاصلة ، وفاصلة منقوطة ؛", "فاصلة ، وفاصلة منقوطة ؛"),  # Arabic: kept
    (collapse_whitespace, "  قال   إن \n نعم ", "قال إن نعم"),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    RULE_CASES,
    ids=[f"{rule.__name__}-{i}" for i, (rule, _, _) in enumerate(RULE_CASES)],
)
def test_rule(rule: Rule, text: str, expected: str) -> None:
    # Given one input, When one rule runs, Then it does exactly its job
    assert rule(text) == expected


def test_every_rule_has_cases() -> None:
    assert {rule.__name__ for rule in RULES} == {rule.__name__ for rule, _, _ in RULE_CASES}


NORMALIZE_CASES = [
    ("كشفت صحيفة «الغارديان» البريطانية", 'كشفت صحيفة "الغارديان" البريطانية'),
    ("تقلصت بسرعةـ مع بدء العمليات", "تقلصت بسرعة مع بدء العمليات"),
    ("يبلغ من العمر 46 عاماً،", "يبلغ من العمر 46 عاما،"),
    ("\u200fبلغت ﺍﻟﺘﻜﻠﻔﺔ ٢٫٥ مليار…", "بلغت التكلفة 2.5 مليار..."),
    ("قال :  “نعم”\tثم غادر", 'قال: "نعم" ثم غادر'),
    ("https://example.com/a?b=1", "https://example.com/a?b=1"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE_CASES)
def test_normalize(text: str, expected: str) -> None:
    # Given a sentence as written, When normalized, Then it is what the model should see
    assert normalize(text) == expected


def test_keep_diacritics_setting() -> None:
    # Given a vocalized sentence
    text = "كَتَبَ الطالبُ الدرسَ."
    # When normalized with and without keeping diacritics
    # Then only the default strips them; everything else is normalized the same way
    assert normalize(text) == "كتب الطالب الدرس."
    assert normalize(text, keep_diacritics=True) == text
    assert normalize("كتــاب «جديد»", keep_diacritics=True) == 'كتاب "جديد"'


def test_normalize_is_idempotent() -> None:
    for text, _ in NORMALIZE_CASES:
        once = normalize(text)
        assert normalize(once) == once
