"""A model's summary in the style's shape: chat models' wrapping taken off (preamble,
markdown, closing remarks), bullets normalized, headlines made one line; flags for empty
summaries and Arabic letters. Pure functions, tables."""

from __future__ import annotations

import pytest

from tarjama.worker.contract import load_schema
from tarjama.worker.flags import FLAG_CODES, SUMMARY_EMPTY, SUMMARY_HAS_ARABIC
from tarjama.worker.styles import BulletsOutput, HeadlineOutput, ProseOutput
from tarjama.worker.summary_shape import clean_chat_summary, shape_summary, summary_flags

PROSE = ProseOutput(form="prose", min_sentences=3, max_sentences=4)
BRIEF = ProseOutput(form="prose", min_sentences=1, max_sentences=2)
BULLETS = BulletsOutput(form="bullets", min_bullets=3, max_bullets=5)
HEADLINE = HeadlineOutput(form="headline", max_words=15)

FACTS = "The plant opened on Tuesday. It cost 2.5 billion dollars. Experts warned about brine."

CHAT_PROSE = [
    ("as is", FACTS, FACTS),
    ("courtesy and intro", f"Sure! Here is a summary of the article:\n\n{FACTS}", FACTS),
    ("intro on the same line", f"Here's a 3-sentence summary: {FACTS}", FACTS),
    ("intro sentence", f"Certainly. Here is the summary you asked for.\n{FACTS}", FACTS),
    ("label line", f"Summary:\n{FACTS}", FACTS),
    ("bold label", f"**Summary:** {FACTS}", FACTS),
    ("markdown header", f"## Summary\n\n{FACTS}", FACTS),
    (
        "emphasis, code and links",
        "The **plant** opened on *Tuesday*. It cost `2.5` billion __dollars__. "
        "The [ministry](https://example.com/x) said experts warned about _brine_.",
        "The plant opened on Tuesday. It cost 2.5 billion dollars. "
        "The ministry said experts warned about brine.",
    ),
    ("closing remarks", f"{FACTS} I hope this helps! Let me know if you need more.", FACTS),
    ("closing line", f"{FACTS}\n\nFeel free to ask for a shorter version.", FACTS),
    ("rule and quote block", f"> {FACTS}\n\n---", FACTS),
    (
        "bullets in a prose style",
        "- The plant opened on Tuesday\n- It cost 2.5 billion dollars.\n"
        "* Experts warned about brine",
        FACTS,
    ),
    (
        "more sentences than the style allows",
        f"{FACTS} Officials expect production next month. Critics disagree. Prices may rise.",
        f"{FACTS} Officials expect production next month.",
    ),
    (
        "a colon inside the answer stays",
        "The minister said: the plant opens.",
        "The minister said: the plant opens.",
    ),
    ("answer that is only a preamble", "Sure! Here is a summary:", ""),
    ("empty", "", ""),
]


@pytest.mark.parametrize(("case", "raw", "expected"), CHAT_PROSE, ids=[c[0] for c in CHAT_PROSE])
def test_chat_prose(case: str, raw: str, expected: str) -> None:
    assert clean_chat_summary(raw, PROSE) == expected


def test_chat_brief_keeps_two_sentences() -> None:
    assert (
        clean_chat_summary(FACTS, BRIEF)
        == "The plant opened on Tuesday. It cost 2.5 billion dollars."
    )


LIST = (
    "- The plant opened on Tuesday.\n- It cost 2.5 billion dollars.\n- Experts warned about brine."
)

CHAT_BULLETS = [
    ("as is", LIST, LIST),
    (
        "numbered, after an intro",
        "Here are the key points:\n\n1. The plant opened on Tuesday.\n2) It cost 2.5 billion "
        "dollars.\n(3) Experts warned about brine.",
        LIST,
    ),
    (
        "stars, bullets and bold labels",
        "* **Opening:** The plant opened on Tuesday.\n• It cost 2.5 billion dollars.\n"
        "+ Experts warned about brine.",
        "- Opening: The plant opened on Tuesday.\n- It cost 2.5 billion dollars.\n"
        "- Experts warned about brine.",
    ),
    ("prose answer: one point per sentence", FACTS, LIST),
    (
        "text around the list is not a point",
        f"Key points:\n{LIST}\nI hope this helps!",
        LIST,
    ),
    (
        "more points than the style allows",
        "\n".join(f"- Point {i}." for i in range(1, 8)),
        "\n".join(f"- Point {i}." for i in range(1, 6)),
    ),
]


@pytest.mark.parametrize(
    ("case", "raw", "expected"), CHAT_BULLETS, ids=[c[0] for c in CHAT_BULLETS]
)
def test_chat_bullets(case: str, raw: str, expected: str) -> None:
    assert clean_chat_summary(raw, BULLETS) == expected


LONG = " ".join(f"word{i}" for i in range(1, 21))
NUMBERS = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
COUNTED = ", ".join([*NUMBERS.split(), "fifteen"])

CHAT_HEADLINES = [
    (
        "as is",
        "Government opens solar desalination plant",
        "Government opens solar desalination plant",
    ),
    (
        "label and quotes",
        'Headline: "Solar Plant Opens in Capital."',
        "Solar Plant Opens in Capital",
    ),
    (
        "courtesy, intro and bold",
        "Sure! Here's a headline:\n\n**Government Opens Solar Desalination Plant**",
        "Government Opens Solar Desalination Plant",
    ),
    (
        "markdown header, then more text",
        "# Solar plant opens\n\nThe government opened a plant.",
        "Solar plant opens",
    ),
    ("typographic quotes", "“Oil prices fall sharply.”", "Oil prices fall sharply"),
    ("a question mark stays", "Will the plant open on time?", "Will the plant open on time?"),
    ("cut to the word limit", LONG, " ".join(LONG.split()[:15])),
    ("no dangling comma after a cut", COUNTED + ", sixteen", COUNTED),
    ("a list item", "- Plant opens in capital", "Plant opens in capital"),
]


@pytest.mark.parametrize(
    ("case", "raw", "expected"), CHAT_HEADLINES, ids=[c[0] for c in CHAT_HEADLINES]
)
def test_chat_headline(case: str, raw: str, expected: str) -> None:
    headline = clean_chat_summary(raw, HEADLINE)
    assert headline == expected
    assert "\n" not in headline
    assert len(headline.split()) <= 15


SEQ2SEQ = [
    (
        "prose keeps at most N sentences",
        PROSE,
        f"{FACTS} One more. And another.",
        f"{FACTS} One more.",
    ),
    (
        "whitespace collapsed",
        BRIEF,
        "The plant\n opened.  It cost  a lot. More.",
        "The plant opened. It cost a lot.",
    ),
    ("bullets: a sentence per point", BULLETS, FACTS, LIST),
    ("headline: the first sentence, no stop", HEADLINE, FACTS, "The plant opened on Tuesday"),
    (
        "headline: cut to the word limit",
        HEADLINE,
        LONG + ". Second sentence.",
        " ".join(LONG.split()[:15]),
    ),
    ("empty", PROSE, "", ""),
]


@pytest.mark.parametrize(
    ("case", "output", "raw", "expected"), SEQ2SEQ, ids=[c[0] for c in SEQ2SEQ]
)
def test_seq2seq_shape(
    case: str, output: ProseOutput | BulletsOutput | HeadlineOutput, raw: str, expected: str
) -> None:
    assert shape_summary(raw, output) == expected


FLAGS = [
    ("clean English", FACTS, []),
    ("empty", "", [SUMMARY_EMPTY]),
    ("only spaces", " \n ", [SUMMARY_EMPTY]),
    ("an Arabic word", "The minister said المحطة opened.", [SUMMARY_HAS_ARABIC]),
    ("Arabic answer", "افتتحت الحكومة محطة لتحلية المياه", [SUMMARY_HAS_ARABIC]),
    ("Arabic digits and punctuation only", "Prices rose ٥٪ ، officials said.", []),
]


@pytest.mark.parametrize(("case", "text", "codes"), FLAGS, ids=[c[0] for c in FLAGS])
def test_summary_flags(case: str, text: str, codes: list[str]) -> None:
    flags = summary_flags(text)
    assert [f["code"] for f in flags] == codes
    assert all(f["reason"] for f in flags)
    assert all(set(f) == {"code", "reason"} for f in flags)


def test_arabic_flag_counts_the_letters() -> None:
    [flag] = summary_flags("The minister said المحطة opened.")
    assert "6 Arabic letters" in flag["reason"]


def test_flag_codes_are_the_result_schemas() -> None:
    schema = load_schema("result")
    assert set(schema["$defs"]["flag"]["properties"]["code"]["enum"]) == set(FLAG_CODES)
