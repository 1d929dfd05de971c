"""Reading test sets for ``tarjama evaluate``: every malformed line is named, none crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarjama.worker.errors import InvalidTestSet
from tarjama.worker.evaluation.datafile import (
    MAX_LISTED,
    Columns,
    LineProblem,
    read_pairs,
    resolve_format,
    usable_pairs,
)
from tarjama.worker.evaluation.runner import prepare_examples

GOOD_TSV = "ذهب الولد إلى المدرسة.\tThe boy went to school.\n"


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("only one column", "expected 2 tab-separated columns (source<TAB>reference), found 1"),
        ("a\tb\tc", "expected 2 tab-separated columns (source<TAB>reference), found 3"),
        ("\tThe reference.", "the source column is empty"),
        ("ذهب الولد.\t   ", "the reference column is empty"),
    ],
)
def test_tsv_line_problems(tmp_path: Path, line: str, problem: str) -> None:
    # Given a TSV whose second line is malformed
    path = write(tmp_path, "set.tsv", GOOD_TSV + line + "\n" + GOOD_TSV)
    # When it is read
    data = read_pairs(path)
    # Then the good lines are pairs and the bad one is a problem with its line number
    assert [p.line for p in data.pairs] == [1, 3]
    assert data.problems == [LineProblem(2, problem)]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"source": "x"', "invalid JSON: Expecting ',' delimiter (column 15)"),
        ("[1, 2]", "expected a JSON object, got an array"),
        ('"just a string"', "expected a JSON object, got a string"),
        ('{"source": "ذهب"}', "missing key 'reference' (keys present: 'source')"),
        ('{"source": 5, "reference": "r"}', "'source' must be a string, got a number"),
        ('{"source": null, "reference": "r"}', "'source' must be a string, got null"),
        (
            '{"source": "ذهب", "reference": ["a", "b"]}',
            "'reference' must be a string, got an array",
        ),
        ('{"source": "  ", "reference": "r"}', "'source' is empty"),
        ('{"source": "\\ud800", "reference": "r"}', "'source' has invalid Unicode"),
    ],
)
def test_jsonl_line_problems(tmp_path: Path, line: str, problem: str) -> None:
    # Given a JSONL file with one malformed line between good ones
    good = json.dumps({"source": "ذهب الولد.", "reference": "The boy went.", "id": 7})
    path = write(tmp_path, "set.jsonl", f"{good}\n{line}\n{good}\n")
    # When it is read
    data = read_pairs(path)
    # Then the problem names line 2 and what is wrong with it; extra keys are fine
    assert [p.line for p in data.pairs] == [1, 3]
    assert len(data.problems) == 1
    assert data.problems[0].line == 2
    assert data.problems[0].problem.startswith(problem)


def test_non_utf8_bytes_are_a_problem_of_their_line(tmp_path: Path) -> None:
    # Given a file with Latin-1 bytes on line 2
    content = GOOD_TSV.encode() + "café\tcoffee\n".encode("latin-1") + GOOD_TSV.encode()
    path = write(tmp_path, "set.tsv", content)
    # When it is read
    data = read_pairs(path)
    # Then that line alone is reported, with the offending byte
    assert data.problems == [LineProblem(2, "not valid UTF-8 (0xe9 at byte 4 of the line)")]
    assert len(data.pairs) == 2


def test_blank_lines_crlf_and_bom_are_tolerated(tmp_path: Path) -> None:
    # Given a Windows-made file: BOM, CRLF line ends, blank lines between pairs
    content = "\ufeff" + GOOD_TSV.replace("\n", "\r\n") + "\r\n  \n" + GOOD_TSV
    path = write(tmp_path, "set.tsv", content)
    # When it is read
    data = read_pairs(path)
    # Then both pairs keep their physical line numbers and clean text
    assert [(p.line, p.source, p.reference) for p in data.pairs] == [
        (1, "ذهب الولد إلى المدرسة.", "The boy went to school."),
        (4, "ذهب الولد إلى المدرسة.", "The boy went to school."),
    ]
    assert data.problems == []


def test_line_separator_inside_json_is_text_not_a_new_line(tmp_path: Path) -> None:
    # Given a JSON string holding U+2028 (valid JSON, a line break to str.splitlines)
    record = {"text": "First part.\u2028Second part.", "reference": "Both parts."}
    path = write(tmp_path, "set.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
    # When it is read with the summary keys
    data = read_pairs(path, columns=Columns("text", "reference"))
    # Then it is one pair
    assert data.problems == []
    assert [p.source for p in data.pairs] == ["First part.\u2028Second part."]


def test_custom_keys_for_published_datasets(tmp_path: Path) -> None:
    # Given CNN/DailyMail as the datasets library exports it
    record = {"article": "Body.", "highlights": "Point one.\nPoint two.", "id": "abc"}
    path = write(tmp_path, "cnndm.jsonl", json.dumps(record) + "\n")
    # When it is read with --source-key article --reference-key highlights
    data = read_pairs(path, columns=Columns("article", "highlights"))
    # Then the highlights keep their newlines (ROUGE-Lsum needs them)
    assert data.pairs[0].reference == "Point one.\nPoint two."


@pytest.mark.parametrize(
    ("name", "first_line", "expected"),
    [
        ("set.jsonl", "a\tb", "jsonl"),
        ("set.tsv", '{"a": 1}', "tsv"),
        ("set.data", '  {"source": "x"}', "jsonl"),
        ("set.data", "x\ty", "tsv"),
        ("set", "", "tsv"),
    ],
)
def test_format_by_suffix_then_by_content(name: str, first_line: str, expected: str) -> None:
    assert resolve_format(Path(name), f"\n{first_line}\n".encode(), "auto") == expected


def test_explicit_format_wins(tmp_path: Path) -> None:
    # Given TSV content in a .jsonl file
    path = write(tmp_path, "mislabelled.jsonl", GOOD_TSV)
    # Then --format tsv reads it, auto reports JSON problems instead of crashing
    assert len(read_pairs(path, data_format="tsv").pairs) == 1
    assert read_pairs(path).problems[0].problem.startswith("invalid JSON")


def test_policy_rejects_malformed_lines_by_default() -> None:
    # Given two problems among 5 good pairs
    problems = [LineProblem(9, "b"), LineProblem(3, "a")]
    # When the policy is applied without --skip-invalid
    with pytest.raises(InvalidTestSet) as caught:
        usable_pairs(Path("set.tsv"), 5, problems, skip_invalid=False)
    # Then the message lists them by line, in order, and says how to go on
    message = caught.value.message
    assert "2 malformed line(s); nothing was evaluated" in message
    assert message.index("line 3: a") < message.index("line 9: b")
    assert "--skip-invalid to evaluate the other 5 pair(s)" in message


def test_policy_skips_when_asked_and_refuses_when_nothing_is_left() -> None:
    problems = [LineProblem(9, "b"), LineProblem(3, "a")]
    # With --skip-invalid the problems come back sorted, for the warning and the report
    assert usable_pairs(Path("x"), 5, problems, skip_invalid=True) == sorted(
        problems, key=lambda p: p.line
    )
    # but a file with no usable line is refused even then
    with pytest.raises(InvalidTestSet, match="No line is usable"):
        usable_pairs(Path("x"), 0, problems, skip_invalid=True)
    # and an empty file is refused whatever the flag
    with pytest.raises(InvalidTestSet, match="empty or only blank lines"):
        usable_pairs(Path("x"), 0, [], skip_invalid=True)


def test_long_problem_lists_are_cut() -> None:
    problems = [LineProblem(n, "bad") for n in range(1, MAX_LISTED + 6)]
    with pytest.raises(InvalidTestSet) as caught:
        usable_pairs(Path("x"), 1, problems, skip_invalid=False)
    assert f"line {MAX_LISTED}: bad" in caught.value.message
    assert f"line {MAX_LISTED + 1}:" not in caught.value.message
    assert "… and 5 more" in caught.value.message


def test_sources_the_worker_refuses_are_problems_of_their_line(tmp_path: Path) -> None:
    # Given pairs whose sources the worker's job validation refuses
    path = write(
        tmp_path,
        "set.tsv",
        GOOD_TSV + "كلمة\x00أخرى\tword\n" + "أ" * 50 + "\ttoo long\n",
    )
    data = read_pairs(path)
    # When they are prepared as the worker prepares an article (limit: 40 characters)
    examples, problems = prepare_examples(data.pairs, max_chars=40)
    # Then the good one is split into the worker's sentences, and the others are named
    assert [ex.paragraphs for ex in examples] == [(("ذهب الولد إلى المدرسة.",),)]
    assert [p.line for p in problems] == [2, 3]
    assert "NUL character" in problems[0].problem
    assert "TARJAMA_MAX_ARTICLE_CHARS" in problems[1].problem
