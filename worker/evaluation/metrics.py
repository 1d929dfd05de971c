"""Scores, computed the way published figures are, and how to tell that they were.

Translation: corpus BLEU and chrF from sacrebleu on detokenized text (its default 13a
tokenization, mixed case), with sacrebleu's signature strings. Summaries: ROUGE-1/2/L/Lsum
from rouge-score with the Porter stemmer, F1 × 100, the mean over documents; for ROUGE-Lsum
each summary is put one sentence per line first (as the CNN/DailyMail evaluations do).

sacrebleu and rouge-score come with ``pip install 'tarjama[eval]'``; they are imported
inside the functions, so a client install needs neither.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version

from tarjama.worker.errors import ConfigurationError
from tarjama.worker.text import split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
#: What each task needs: import name -> distribution name.
_PACKAGES: dict[str, dict[str, str]] = {
    "translation": {"sacrebleu": "sacrebleu", "tqdm": "tqdm"},
    "summary": {"rouge_score": "rouge-score", "tqdm": "tqdm"},
}


@dataclass(frozen=True)
class Scores:
    values: dict[str, float]
    #: How each figure was computed (sacrebleu signatures; the ROUGE recipe).
    signatures: dict[str, str]


def require_packages(task: str) -> None:
    """Refuse to start (before any model loads) when the eval extra is not installed."""
    missing = [dist for name, dist in _PACKAGES[task].items() if not importlib.util.find_spec(name)]
    if missing:
        raise ConfigurationError(
            f"tarjama evaluate {task} needs {', '.join(missing)}: "
            "pip install 'tarjama[eval]' (or make setup)"
        )


def score_translations(hypotheses: Sequence[str], references: Sequence[str]) -> Scores:
    """Corpus BLEU and chrF (both 0-100) of detokenized hypotheses against one reference each."""
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF

    bleu, chrf = BLEU(), CHRF()
    refs = [list(references)]
    return Scores(
        values={
            "bleu": bleu.corpus_score(list(hypotheses), refs).score,
            "chrf": chrf.corpus_score(list(hypotheses), refs).score,
        },
        signatures={"bleu": str(bleu.get_signature()), "chrf": str(chrf.get_signature())},
    )


def one_sentence_per_line(text: str) -> str:
    """The layout ROUGE-Lsum expects: existing lines kept, each cut into sentences."""
    return "\n".join(
        s for line in text.splitlines() for s in split_sentences(" ".join(line.split()))
    )


def score_summaries(predictions: Sequence[str], references: Sequence[str]) -> Scores:
    """Mean ROUGE-1/2/L/Lsum F1 (0-100) over documents, stemmed."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, reference in zip(predictions, references, strict=True):
        scored = scorer.score(one_sentence_per_line(reference), one_sentence_per_line(prediction))
        for kind in ROUGE_TYPES:
            totals[kind] += scored[kind].fmeasure
    count = max(1, len(predictions))
    recipe = (
        f"rouge-score:{version('rouge-score')}|stemmer:porter|score:f1x100|mean-of:documents"
        "|lsum:one-sentence-per-line"
    )
    return Scores(
        values={kind: 100.0 * total / count for kind, total in totals.items()},
        signatures={"rouge": recipe},
    )
