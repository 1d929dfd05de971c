"""Test sets: (source, reference) pairs read from TSV or JSONL, with every bad line named.

A malformed line never stops the reading: it becomes a :class:`LineProblem` with its line
number, and :func:`usable_pairs` decides, once every problem is known, whether the run
goes on (``skip_invalid``) or stops with an :class:`~worker.errors.InvalidTestSet` that
lists them. Lines are cut at ``\\n`` only (U+2028 inside a JSON string is text, not a line
break); a trailing ``\\r``, a UTF-8 byte-order mark and lines of only whitespace are ignored.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tarjama.worker.errors import InvalidTestSet

DataFormat = Literal["tsv", "jsonl"]
FormatChoice = Literal["auto", "tsv", "jsonl"]
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
TSV_SUFFIXES = frozenset({".tsv", ".tab", ".txt"})
#: How many problems an error message lists before "... and N more".
MAX_LISTED = 20


@dataclass(frozen=True)
class Pair:
    line: int
    source: str
    reference: str


@dataclass(frozen=True)
class LineProblem:
    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "problem": self.problem}


@dataclass(frozen=True)
class Columns:
    """What the two fields are called: JSONL keys, and the names in TSV messages."""

    source: str = "source"
    reference: str = "reference"


@dataclass(frozen=True)
class DataFile:
    path: Path
    format: DataFormat
    pairs: list[Pair]
    problems: list[LineProblem]


class _Malformed(Exception):
    pass


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _field(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _Malformed(f"{where} must be a string, got {_json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Malformed(f"{where} has invalid Unicode (a lone surrogate at {exc.start})") from None
    if not value.strip():
        raise _Malformed(f"{where} is empty")
    return value.strip()


def _parse_tsv(text: str, columns: Columns) -> tuple[str, str]:
    fields = text.split("\t")
    if len(fields) != 2:
        raise _Malformed(
            f"expected 2 tab-separated columns ({columns.source}<TAB>{columns.reference}), "
            f"found {len(fields)}"
        )
    return (
        _field(fields[0], f"the {columns.source} column"),
        _field(fields[1], f"the {columns.reference} column"),
    )


def _parse_jsonl(text: str, columns: Columns) -> tuple[str, str]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Malformed(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(record, dict):
        raise _Malformed(f"expected a JSON object, got {_json_type(record)}")
    values = []
    for key in (columns.source, columns.reference):
        if key not in record:
            present = ", ".join(repr(k) for k in record) or "none"
            raise _Malformed(f"missing key {key!r} (keys present: {present})")
        values.append(_field(record[key], repr(key)))
    return values[0], values[1]


def resolve_format(path: Path, raw: bytes, requested: FormatChoice) -> DataFormat:
    """The requested format; for ``auto``, by suffix, else by the first non-blank line."""
    if requested != "auto":
        return requested
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in TSV_SUFFIXES:
        return "tsv"
    first = next((line for line in raw.split(b"\n") if line.strip()), b"")
    return "jsonl" if first.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{") else "tsv"


def read_pairs(
    path: Path, *, data_format: FormatChoice = "auto", columns: Columns | None = None
) -> DataFile:
    """Every well-formed pair of the file, and a problem for every malformed line."""
    columns = columns or Columns()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidTestSet(f"{path}: cannot read: {exc.strerror or exc}") from None
    fmt = resolve_format(path, raw, data_format)
    parse: Callable[[str, Columns], tuple[str, str]] = _parse_tsv if fmt == "tsv" else _parse_jsonl
    pairs: list[Pair] = []
    problems: list[LineProblem] = []
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        chunk = chunk.removesuffix(b"\r")
        if number == 1:
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = f"0x{chunk[exc.start]:02x} at byte {exc.start + 1} of the line"
            problems.append(LineProblem(number, f"not valid UTF-8 ({bad})"))
            continue
        if not text.strip():
            continue
        try:
            source, reference = parse(text, columns)
        except _Malformed as exc:
            problems.append(LineProblem(number, str(exc)))
        else:
            pairs.append(Pair(number, source, reference))
    return DataFile(path, fmt, pairs, problems)


def listing(problems: Sequence[LineProblem]) -> str:
    """Problems one per line, indented; at most MAX_LISTED, then how many more."""
    lines = [f"  {p}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  … and {len(problems) - MAX_LISTED} more")
    return "\n".join(lines)


def usable_pairs(
    path: Path, good: int, problems: Sequence[LineProblem], *, skip_invalid: bool
) -> list[LineProblem]:
    """Apply the policy: reject a file with malformed lines unless ``skip_invalid``.

    Returns the problems (sorted by line) that the caller skips and reports; raises
    :class:`InvalidTestSet` listing them otherwise, or when nothing usable is left.
    """
    problems = sorted(problems, key=lambda p: p.line)
    if not problems and not good:
        raise InvalidTestSet(f"{path}: nothing to evaluate: the file is empty or only blank lines")
    if problems and (not skip_invalid or not good):
        advice = (
            f"Fix them, or pass --skip-invalid to evaluate the other {good} pair(s) without them."
            if good
            else "No line is usable."
        )
        raise InvalidTestSet(
            f"{path}: {len(problems)} malformed line(s); nothing was evaluated:\n"
            f"{listing(problems)}\n{advice}"
        )
    return problems
