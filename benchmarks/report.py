"""The benchmark's tables (Markdown, ready for the README) and the targets they are held to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.measure import Row
from benchmarks.rows import (
    BASELINE_A,
    BASELINE_B,
    HF_SUMMARY,
    TARJAMA_B4,
    TARJAMA_GATE,
    TARJAMA_SUMMARY,
    TARJAMA_WORKER,
)

Results = Mapping[str, Mapping[str, Any]]
RSS_LIMIT_MB = 800
QUEUE_SHARE = 0.85
#: The language gate's most time per article, in percent of the article's translation.
GATE_SHARE_PERCENT = 2.0


def tokens_per_s(result: Mapping[str, Any]) -> float:
    return float(result["target_tokens"]) / float(result["seconds"])


def _ratio(results: Results, key: str, base: str) -> str:
    if "error" in results.get(key, {"error": ""}) or "error" in results.get(base, {"error": ""}):
        return "–"
    return f"{tokens_per_s(results[key]) / tokens_per_s(results[base]):.1f}×"


def _table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def _measured(row: Row, result: Mapping[str, Any]) -> list[str]:
    if "error" in result:
        return [row.label, str(row.beams), f"error: {result['error']}", "", "", ""]
    return [
        row.label,
        str(row.beams),
        f"{result['seconds']:.2f} s / {result['unit']}",
        f"{tokens_per_s(result):.0f}",
        f"{result['load_s']:.1f} s",
        f"{result['peak_rss_mb'] / 1024:.2f} GB",
    ]


def translation_table(rows: Sequence[Row], results: Results) -> str:
    header = [
        "translation",
        "beam",
        "best time",
        "target tok/s",
        "load",
        "peak RSS",
        "vs A",
        "vs B",
    ]
    lines = [
        [*_measured(row, results[row.key]), _ratio(results, row.key, BASELINE_A),
         _ratio(results, row.key, BASELINE_B)]
        for row in rows
        if row.task in ("translation", "in-flight")
    ]  # fmt: skip
    return _table(header, lines)


def summary_table(rows: Sequence[Row], results: Results) -> str:
    header = ["summary", "beam", "best time", "target tok/s", "load", "peak RSS", "vs transformers"]
    lines = [
        [
            *_measured(row, results[row.key]),
            # the worker row decodes an article and a summary: no like-for-like baseline
            _ratio(results, row.key, HF_SUMMARY) if row.task == "summary" else "–",
        ]
        for row in rows
        if row.task in ("summary", "worker")
    ]
    return _table(header, lines)


def gate_table(rows: Sequence[Row], results: Results) -> str:
    header = ["language gate", "gate per article", "translation per article (beam 4)", "share"]
    lines = []
    for row in rows:
        if row.task != "gate":
            continue
        result = results[row.key]
        if "error" in result:
            lines.append([row.label, f"error: {result['error']}", "", ""])
            continue
        low, high = result["share_spread"]
        lines.append(
            [
                row.label,
                f"{result['seconds'] * 1e3:.2f} ms",
                f"{result['translation_seconds']:.2f} s",
                f"{result['share']:.3%} (rounds {low:.3%} to {high:.3%})",
            ]
        )
    return _table(header, lines)


def end_to_end_table(e2e: Mapping[str, Mapping[str, Any]]) -> str:
    header = ["end to end", "articles", "articles/min", "share of the engine's rate", "peak RSS"]
    direct = e2e.get("direct", {}).get("articles_per_min")
    lines = []
    for result in e2e.values():
        if "error" in result:
            lines.append([result["label"], "", f"error: {result['error']}", "", ""])
            continue
        share = f"{result['articles_per_min'] / direct:.0%}" if direct else "–"
        lines.append(
            [
                result["label"],
                str(result["articles"]),
                f"{result['articles_per_min']:.2f}",
                share,
                f"{result['peak_rss_mb'] / 1024:.2f} GB",
            ]
        )
    return _table(header, lines)


@dataclass(frozen=True)
class Target:
    name: str
    measured: float | None
    goal: float
    at_least: bool = True
    unit: str = "×"

    @property
    def met(self) -> bool:
        if self.measured is None:
            return False
        return self.measured >= self.goal if self.at_least else self.measured <= self.goal

    def line(self) -> str:
        sign = "≥" if self.at_least else "≤"
        got = "not measured" if self.measured is None else f"{self.measured:.2f}{self.unit}"
        verdict = "met" if self.met else "MISSED"
        return f"- {self.name}: {got} (target {sign} {self.goal:g}{self.unit}): {verdict}"


def targets(results: Results, e2e: Mapping[str, Mapping[str, Any]]) -> list[Target]:
    def ratio(key: str, base: str) -> float | None:
        if "error" in results.get(key, {"error": ""}) or "error" in results.get(
            base, {"error": ""}
        ):
            return None
        return tokens_per_s(results[key]) / tokens_per_s(results[base])

    worker = results.get(TARJAMA_WORKER, {})
    queue = e2e.get("queue", {})
    direct = e2e.get("direct", {})
    share = None
    if "articles_per_min" in queue and "articles_per_min" in direct:
        share = queue["articles_per_min"] / direct["articles_per_min"]
    found = [
        Target("translation beam 4, tarjama vs A", ratio(TARJAMA_B4, BASELINE_A), 10),
        Target("translation beam 4, tarjama vs B", ratio(TARJAMA_B4, BASELINE_B), 3.5),
        Target("summary beam 4, tarjama vs transformers", ratio(TARJAMA_SUMMARY, HF_SUMMARY), 4),
        Target(
            "peak RSS, process holding both models (int8)",
            worker.get("peak_rss_mb"),
            RSS_LIMIT_MB,
            at_least=False,
            unit=" MB",
        ),
    ]
    gate = results.get(TARJAMA_GATE, {})
    if gate:
        found.append(
            Target(
                "language gate / translation time per article (median of rounds)",
                gate["share"] * 100 if "share" in gate else None,
                GATE_SHARE_PERCENT,
                at_least=False,
                unit=" %",
            )
        )
    if queue:
        found.append(
            Target(
                "peak RSS, real worker process after the queue run",
                queue.get("peak_rss_mb"),
                RSS_LIMIT_MB,
                at_least=False,
                unit=" MB",
            )
        )
        found.append(Target("queue rate / engine's own rate", share, QUEUE_SHARE, unit=""))
    return found
