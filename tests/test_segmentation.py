"""Paragraphs and sentences of Arabic news, and over-long sentences cut to fit the model."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tarjama.worker.arabic import normalize
from tarjama.worker.text import split_blocks, split_paragraphs, split_sentences, split_to_fit
from tarjama.worker.tiny_models import sample_article_path
from tests.conftest import TokenCount

SENTENCE_CASES = [
    ("قال الوزير. وأضاف أن الخطة جاهزة", ["قال الوزير.", "وأضاف أن الخطة جاهزة"]),
    ("هل ستحضر؟ نعم.", ["هل ستحضر؟", "نعم."]),
    ("يا للهول! ماذا حدث", ["يا للهول!", "ماذا حدث"]),
    ("انتظر… ثم رحل", ["انتظر…", "ثم رحل"]),
    ("انتظر... ثم رحل", ["انتظر...", "ثم رحل"]),
    ("ماذا؟! لا أصدق.", ["ماذا؟!", "لا أصدق."]),
    ("مرحبا!!! كيف الحال؟؟", ["مرحبا!!!", "كيف الحال؟؟"]),
    ('قال: "انتهى الأمر." ثم غادر', ['قال: "انتهى الأمر."', "ثم غادر"]),
    ("قال: «هل انتهى؟» وغادر", ["قال: «هل انتهى؟»", "وغادر"]),
    ("(انتهى الاجتماع.) وبدأ آخر", ["(انتهى الاجتماع.)", "وبدأ آخر"]),
    ("قال «لا». ثم صمت", ["قال «لا».", "ثم صمت"]),
    ("انتهى الدرسُ. ثم خرجوا", ["انتهى الدرسُ.", "ثم خرجوا"]),
    ("انتهى الاجتماع.وبدأ التصويت", ["انتهى الاجتماع.", "وبدأ التصويت"]),
    ("انتهى عام 2014.وفي العام التالي", ["انتهى عام 2014.", "وفي العام التالي"]),
    ("النسبة 50٪. وقال المدير", ["النسبة 50٪.", "وقال المدير"]),
    ("سطر أول\nسطر ثان", ["سطر أول", "سطر ثان"]),
    # not boundaries
    ("جاء زيد، وذهب عمرو؛ ثم عاد.", ["جاء زيد، وذهب عمرو؛ ثم عاد."]),
    ("بلغ النمو 3.5 في المئة.", ["بلغ النمو 3.5 في المئة."]),
    ("بلغ العدد 2,000 شخص.", ["بلغ العدد 2,000 شخص."]),
    ("ارتفع المؤشر ١٫٥ نقطة.", ["ارتفع المؤشر ١٫٥ نقطة."]),
    ("الساعة 10.30 صباحا.", ["الساعة 10.30 صباحا."]),
    ("التقى د. محمد بالوزير.", ["التقى د. محمد بالوزير."]),
    ("وصل أ. د. أحمد علي.", ["وصل أ. د. أحمد علي."]),
    ("توفي عام 632 هـ. في المدينة", ["توفي عام 632 هـ. في المدينة"]),
    ("U.S. aides met Mr. Smith. They agreed.", ["U.S. aides met Mr. Smith.", "They agreed."]),
    ("زر الموقع www.example.com للمزيد.", ["زر الموقع www.example.com للمزيد."]),
    ("1. البند الأول", ["1. البند الأول"]),
    ("... ثم قال", ["... ثم قال"]),
    ("(الخليج اونلاين)", ["(الخليج اونلاين)"]),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCE_CASES)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    # Given a tricky paragraph, When split, Then the boundaries are exactly these
    assert split_sentences(text) == expected


def test_sample_article_every_boundary(real_article: str) -> None:
    # Given the real article: 17 paragraphs and the agency tag, one sentence each (its
    # full stops all end paragraphs; 47 Arabic commas, numbers and quotes inside)
    paragraphs = split_paragraphs(real_article)
    assert len(paragraphs) == 18
    # When each paragraph is split into sentences
    sentences = [split_sentences(p) for p in paragraphs]
    # Then every paragraph is exactly one sentence: no cut at ، , in 2015 or after a quote
    assert sentences == [[p] for p in paragraphs]
    assert [p[-1] for p in paragraphs] == ["."] * 17 + [")"]


def test_shipped_example_every_boundary() -> None:
    # Given the example article, whose paragraphs mix questions, numbers and quotes
    paragraphs = split_paragraphs(sample_article_path().read_text("utf-8"))
    # When split, Then the sentence counts per paragraph and the question boundary are right
    sentences = [split_sentences(p) for p in paragraphs]
    assert [len(s) for s in sentences] == [1, 1, 1, 1, 1, 1, 2, 1]
    assert sentences[6][0] == "هل تكفي هذه المحطة لسد العجز المائي؟"
    assert "2.5 مليار" in sentences[3][0]


BLOCK_CASES = [
    ("سطر\nسطر", [["سطر"], ["سطر"]]),  # no blank line: a paragraph per line
    ("أ\nب\n\nج", [["أ", "ب"], ["ج"]]),  # blank lines separate paragraphs; lines stay lines
    ("أ \r\n \r\nب", [["أ"], ["ب"]]),
    ("  أ   ب  \n\n\n\n  ج ", [["أ ب"], ["ج"]]),
    (" \n\t\n", []),
]


@pytest.mark.parametrize(("text", "expected"), BLOCK_CASES)
def test_blocks(text: str, expected: list[list[str]]) -> None:
    assert split_blocks(text) == expected


# --- cutting over-long sentences ----------------------------------------------------------


def word_count(text: str) -> int:
    """A stand-in tokenizer for the pure cases: one token per word, plus end of sentence."""
    return len(text.split()) + 1


SPLIT_CASES = [
    ("أ ب ج", 10, ["أ ب ج"]),
    ("أ ب؛ ج د؛ هـ و", 4, ["أ ب؛", "ج د؛", "هـ و"]),  # at the Arabic semicolon first
    ("أ ب، ج د، هـ و", 4, ["أ ب،", "ج د،", "هـ و"]),  # then at commas
    ("أ ب، ج د؛ هـ و", 4, ["أ ب،", "ج د؛", "هـ و"]),  # a part still too long: commas
    ("أ ب ج د هـ", 3, ["أ ب", "ج د", "هـ"]),  # then between words
]


@pytest.mark.parametrize(("text", "limit", "expected"), SPLIT_CASES)
def test_split_to_fit(text: str, limit: int, expected: list[str]) -> None:
    assert split_to_fit(text, word_count, limit) == expected


def test_split_to_fit_cuts_a_word_longer_than_the_limit_between_letters() -> None:
    # Given a "word" of 40 letters with diacritics, and a count of one token per character
    word = "كَتَبَ" * 10

    def chars(text: str) -> int:
        return len(text)

    # When it is fitted to 7 characters
    pieces = split_to_fit(word, chars, 7)
    # Then no piece is over, nothing is lost, and no piece starts with a detached mark
    assert all(len(p) <= 7 for p in pieces)
    assert "".join(pieces) == word
    assert all(not re.match("[\u064b-\u0652]", p) for p in pieces)


def long_sentence(real_article: str, count: Callable[[str], int], at_least: int) -> str:
    """One "sentence" of at least ``at_least`` tokens: the article's clauses joined by ،
    and ؛, then a run with no punctuation, then a 200-letter run with no space."""
    clauses = [p.rstrip(".").replace('"', "") for p in split_paragraphs(real_article)]
    text = "؛ ".join("، ".join(clauses[i : i + 3]) for i in range(0, len(clauses), 3))
    no_commas = " ".join(w for w in text.split() if w.isalpha())
    text = f"{text} {no_commas} {'ب' * 200}"
    while count(text) < at_least:
        text = f"{text}، {text}"
    return text


def test_3000_token_sentence_is_cut_into_fitting_pieces_and_loses_nothing(
    real_article: str, marian_count: TokenCount
) -> None:
    count, limit = marian_count
    assert limit == 512  # MarianMT's max_position_embeddings
    # Given one "sentence" of more than 3,000 tokens, normalized as the model sees it
    sentence = normalize(long_sentence(real_article, count, 3000))
    assert split_sentences(sentence) == [sentence]
    assert count(sentence) > 3000
    # When it is fitted to the model's limit with the real tokenizer
    pieces = split_to_fit(sentence, count, limit)
    # Then every piece fits, and every character lands in exactly one piece, in order
    assert len(pieces) >= 7
    assert all(count(piece) <= limit for piece in pieces)
    assert " ".join(pieces).split() == sentence.split()
    assert "".join("".join(pieces).split()) == "".join(sentence.split())
