"""Model output as a reader should see it."""

from __future__ import annotations

import pytest

from tarjama.worker.text import clean_translation, collapse_repeats

CLEAN_CASES = [
    ("He said &apos;no&apos; .", "He said 'no'."),
    ("&quot;Stop&quot; , he said", '"Stop", he said'),
    ("Tom &amp;amp; Jerry &amp;quot;show&amp;quot;", 'Tom & Jerry "show"'),  # double-escaped
    ("▁The▁minister said", "The minister said"),
    ("The <unk> minister", "The minister"),
    ("Where is it ? Here !", "Where is it? Here!"),
    ("prices rose 5 % ; (  sharply  ) , [ note ]", "prices rose 5%; (sharply), [note]"),
    ('He said " we will win " .', 'He said "we will win".'),
    ('a "b" and "c"', 'a "b" and "c"'),  # paired quotes untouched
    ('an odd " quote', 'an odd " quote'),
    ("Baghdad، Mosul؛ why؟", "Baghdad, Mosul; why?"),  # Arabic punctuation copied by the model
    ("  spaces \n everywhere  ", "spaces everywhere"),
    ("the war the war the war the war ended", "the war ended"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN_CASES)
def test_clean_translation(raw: str, expected: str) -> None:
    # Given raw model output, When cleaned, Then it reads as English text should
    assert clean_translation(raw) == expected


REPEAT_CASES = [
    ("no no no no", "no"),
    ("very very good", "very very good"),  # two in a row may be meant
    ("in the city in the city in the city of Mosul", "in the city of Mosul"),
    ("a b c d e f a b c d e f a b c d e f", "a b c d e f"),
    ("one two three", "one two three"),
]


@pytest.mark.parametrize(("text", "expected"), REPEAT_CASES)
def test_collapse_repeats(text: str, expected: str) -> None:
    assert collapse_repeats(text) == expected
