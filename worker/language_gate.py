"""The language gate: Arabic is translated; every other language is caught.

Runs on the reader's text (after HTML extraction, before anything is translated):

* each paragraph and the title is identified on its own, and classified (:meth:`GateRules.
  classify`): Arabic when the detector gives Arabic (dialects summed) at least
  ``min_confidence``, another language when it gives Arabic at most ``1 - min_confidence``.
  Text with fewer than ``min_words`` words (numbers, names, a dateline), or in between, is
  not classified: it follows the article's language;
* the article is Arabic when at least as many words of its paragraphs (not the title) were
  classified Arabic as another language; otherwise it is the other language with the most
  words. With no paragraph classified, the whole body is classified at once; if that is
  undecided too, the article is taken to be in its ``source_language`` (default ``ar``);
* an article that is not Arabic, or whose ``source_language`` is not Arabic, is refused
  (:class:`~worker.errors.UnsupportedLanguage`), or with ``unsupported="passthrough"``
  passed through whole, untranslated;
* in an Arabic article, a paragraph (or the title) classified as another language is passed
  through untranslated; everything else is translated (sentences without Arabic letters
  still pass through on their own, as before).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from tarjama.worker.errors import UnsupportedLanguage
from tarjama.worker.language import (
    ARABIC,
    LanguageGuess,
    count_words,
    language_name,
    primary_language,
)

if TYPE_CHECKING:
    from tarjama.worker.language import LanguageIdentifier
    from tarjama.worker.pipeline import Document, Segment
    from tarjama.worker.settings import Settings

Basis = Literal["detected", "source_language"]
Unsupported = Literal["fail", "passthrough"]


@dataclass(frozen=True)
class GateRules:
    min_words: int = 4
    min_confidence: float = 0.6
    unsupported: Unsupported = "fail"

    @classmethod
    def from_settings(cls, settings: Settings) -> GateRules:
        return cls(
            min_words=settings.language_min_words,
            min_confidence=settings.language_min_confidence,
            unsupported=settings.unsupported_languages,
        )

    def classify(self, guess: LanguageGuess) -> LanguageGuess | None:
        """Arabic (``ar`` and the probability of Arabic), another language (the likeliest
        one and its probability), or None: too few words, or the detector is unsure.

        The question is Arabic or not: a text is Arabic when the detector gives Arabic at
        least ``min_confidence``, another language when it gives Arabic at most
        ``1 - min_confidence`` (a Pashto text may split the rest between Pashto and
        Persian, yet be plainly not Arabic)."""
        if guess.words < self.min_words:
            return None
        if guess.arabic >= self.min_confidence:
            return LanguageGuess(ARABIC, guess.arabic, guess.words, guess.scores)
        if guess.arabic <= 1 - self.min_confidence:
            return guess.likeliest_other()
        return None


@dataclass(frozen=True)
class LanguageVerdict:
    """What the gate decided for one article.

    ``code`` is the article's language, ``confidence`` the detector's probability for it,
    ``basis`` whether it was detected or taken from the job's ``source_language`` (text too
    short or ambiguous to tell). ``passthrough``: the whole article is passed through
    untranslated. ``title`` and ``paragraphs`` (one entry per paragraph) hold the language
    of each one passed through for its language, None for those translated.
    """

    code: str
    confidence: float
    basis: Basis
    passthrough: bool
    title: LanguageGuess | None
    paragraphs: list[LanguageGuess | None]

    def as_dict(self) -> dict[str, Any]:
        """The result's ``language`` section."""
        section: dict[str, Any] = {
            "code": self.code,
            "confidence": self.confidence,
            "basis": self.basis,
            "passthrough": self.passthrough,
        }
        if self.title is not None:
            section["title"] = guess_dict(self.title)
        return section


def guess_dict(guess: LanguageGuess) -> dict[str, Any]:
    return {"code": guess.code, "confidence": round(guess.confidence, 4)}


def _weighted(guesses: Sequence[LanguageGuess], code: str) -> tuple[int, float]:
    """Words in the texts classified as ``code``, and their word-weighted probability."""
    carriers = [g for g in guesses if g.code == code]
    words = sum(g.words for g in carriers)
    return words, round(sum(g.confidence * g.words for g in carriers) / max(words, 1), 4)


def _article_language(
    classified: Sequence[LanguageGuess],
    whole: Callable[[], LanguageGuess],
    declared: str,
    rules: GateRules,
) -> tuple[str, float, Basis]:
    """The article is Arabic if at least as many words were classified Arabic as another
    language; otherwise it is the other language that holds the most words."""
    if classified:
        arabic_words, arabic = _weighted(classified, ARABIC)
        other_words = sum(g.words for g in classified if g.code != ARABIC)
        if arabic_words >= other_words:
            return ARABIC, arabic, "detected"
        totals = {g.code: _weighted(classified, g.code) for g in classified if g.code != ARABIC}
        code = max(totals, key=lambda c: totals[c][0])
        return code, totals[code][1], "detected"
    guess = rules.classify(whole())
    if guess is not None:
        return guess.code, round(guess.confidence, 4), "detected"
    return declared, whole().probability(declared), "source_language"


def _classify_all(
    texts: Sequence[str], identifier: LanguageIdentifier, rules: GateRules
) -> list[LanguageGuess | None]:
    """:meth:`GateRules.classify` for each text; the model reads only those long enough to
    be judged (an article of 40,000 one-word lines costs no model call)."""
    judged = [i for i, text in enumerate(texts) if count_words(text) >= rules.min_words]
    found: list[LanguageGuess | None] = [None] * len(texts)
    for i, guess in zip(judged, identifier.identify_many([texts[i] for i in judged]), strict=True):
        found[i] = rules.classify(guess)
    return found


def judge(
    title: str,
    paragraphs: Sequence[str],
    identifier: LanguageIdentifier,
    source_language: str | None,
    rules: GateRules,
) -> LanguageVerdict:
    """Decide what is translated and what passes through; raise UnsupportedLanguage for an
    article that is not Arabic (unless ``rules.unsupported`` is ``passthrough``)."""
    declared = primary_language(source_language) if source_language else ARABIC
    title_guess, *body = _classify_all([title, *paragraphs], identifier, rules)

    @cache
    def whole() -> LanguageGuess:  # the whole body at once: only when it is needed
        return identifier.identify(" ".join(paragraphs))

    # the body decides the article's language (a headline is a few words, often a quote)
    classified = [g for g in body if g is not None]
    code, confidence, basis = _article_language(classified, whole, declared, rules)
    problem = None
    if declared != ARABIC:
        code, confidence, basis = declared, whole().probability(declared), "source_language"
        problem = (
            f"source_language is {source_language} ({language_name(declared)}); tarjama "
            "translates Arabic (ar) only"
        )
        reads = rules.classify(whole())
        if reads is not None and reads.code == ARABIC:
            problem += f" (the text reads as Arabic, confidence {reads.confidence:.2f}: send ar)"
    elif code != ARABIC:
        said = f"source_language is {source_language}, but " if source_language else ""
        problem = (
            f"{said}the article is {language_name(code)} ({code}, confidence {confidence:.2f}), "
            "not Arabic; tarjama translates Arabic only"
        )
    if problem is not None:
        if rules.unsupported == "fail":
            raise UnsupportedLanguage(
                f"{problem}. TARJAMA_UNSUPPORTED_LANGUAGES=passthrough stores such articles "
                "untranslated."
            )
        return LanguageVerdict(code, confidence, basis, True, None, [None] * len(paragraphs))
    passed = [g if g is not None and g.code != ARABIC else None for g in body]
    if title_guess is not None and title_guess.code == ARABIC:
        title_guess = None
    return LanguageVerdict(code, confidence, basis, False, title_guess, passed)


def _text(segments: Sequence[Segment]) -> str:
    return " ".join(s.source for s in segments)


def _pass_through(segments: Sequence[Segment]) -> None:
    for segment in segments:
        segment.translation, segment.origin = segment.source, "passthrough"


def check_document(
    document: Document,
    identifier: LanguageIdentifier,
    source_language: str | None,
    rules: GateRules,
) -> LanguageVerdict:
    """Judge the document's language, and mark what passes through untranslated."""
    verdict = judge(
        _text(document.title),
        [_text(p) for p in document.paragraphs],
        identifier,
        source_language,
        rules,
    )
    if verdict.passthrough or verdict.title is not None:
        _pass_through(document.title)
    for paragraph, guess in zip(document.paragraphs, verdict.paragraphs, strict=True):
        if verdict.passthrough or guess is not None:
            _pass_through(paragraph)
    return verdict


def annotate(section: dict[str, Any], verdict: LanguageVerdict) -> None:
    """Add the verdict to a translation section: its ``language``, and the language of each
    paragraph passed through for its language."""
    section["language"] = verdict.as_dict()
    for paragraph, guess in zip(section["paragraphs"], verdict.paragraphs, strict=True):
        if guess is not None:
            paragraph["language"] = guess_dict(guess)
