"""Scores as published figures compute them: real sacrebleu and rouge-score, no stand-ins."""

from __future__ import annotations

import pytest

from tarjama.worker.evaluation.metrics import (
    ROUGE_TYPES,
    one_sentence_per_line,
    score_summaries,
    score_translations,
)

REFERENCES = [
    "The boy went to school.",
    "The minister said the project is important; it starts in May.",
    "Oil prices fell sharply on Monday amid concerns about global demand.",
]


def test_bleu_and_chrf_of_references_against_themselves_are_100() -> None:
    # When the references are scored as their own translations
    scores = score_translations(REFERENCES, REFERENCES)
    # Then BLEU and chrF are 100, and the signatures say how they were computed
    assert scores.values == {"bleu": pytest.approx(100.0), "chrf": pytest.approx(100.0)}
    assert scores.signatures["bleu"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|")
    assert scores.signatures["chrf"].startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|")


def test_bleu_is_corpus_level_and_orders_systems() -> None:
    # Given a close and a poor system output
    close = [
        "The boy went to the school.",
        "The minister said the project is important; it starts in May.",
        "Oil prices fell on Monday amid concerns about global demand.",
    ]
    poor = ["A child walked.", "Someone spoke.", "Markets moved."]
    # Then the scores are between 0 and 100 and order them
    good_scores, poor_scores = (
        score_translations(close, REFERENCES),
        score_translations(poor, REFERENCES),
    )
    assert 0 <= poor_scores.values["bleu"] < good_scores.values["bleu"] < 100
    assert 0 <= poor_scores.values["chrf"] < good_scores.values["chrf"] < 100


def test_rouge_of_a_summary_against_itself_is_100() -> None:
    summaries = ["A plant opened.\nIt supplies water.", "Floods hit the north."]
    scores = score_summaries(summaries, summaries)
    assert scores.values == {kind: pytest.approx(100.0) for kind in ROUGE_TYPES}
    assert "stemmer:porter" in scores.signatures["rouge"]


def test_rouge_stems_and_lsum_uses_sentences() -> None:
    # Given a prediction that differs from the reference only in word forms and order of lines
    reference = "The cats were running home.\nIt rained all day."
    prediction = "It rained all day. The cat was running home."
    scores = score_summaries([prediction], [reference]).values
    # Then stemming counts cats/cat and running/run as matches (unigram overlap is high),
    # ROUGE-L is hurt by the order, and ROUGE-Lsum, which matches sentence by sentence, is not
    assert scores["rouge1"] > 80
    assert scores["rougeLsum"] > scores["rougeL"]


def test_one_sentence_per_line() -> None:
    assert one_sentence_per_line("One. Two!  Three?\n- Four") == "One.\nTwo!\nThree?\n- Four"
