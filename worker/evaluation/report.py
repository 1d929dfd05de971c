"""The report: one row per configuration (and style), B − A differences, table and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tarjama.worker.evaluation.configs import Task
from tarjama.worker.evaluation.datafile import DataFormat, LineProblem
from tarjama.worker.evaluation.runner import RunResult

SCHEMA_VERSION = 1
#: Score keys and their column headings, per task, in table order.
METRICS: dict[Task, tuple[tuple[str, str], ...]] = {
    "translation": (("bleu", "BLEU"), ("chrf", "chrF")),
    "summary": (("rouge1", "R-1"), ("rouge2", "R-2"), ("rougeL", "R-L"), ("rougeLsum", "R-Lsum")),
}
UNIT: dict[Task, str] = {"translation": "segments", "summary": "documents"}


@dataclass(frozen=True)
class Report:
    task: Task
    path: Path
    data_format: DataFormat
    skipped: Sequence[LineProblem]
    runs: Sequence[RunResult]
    #: The line number and reference of each evaluated pair, in the order of run.outputs.
    lines: Sequence[int] = ()
    references: Sequence[str] = ()

    def differences(self) -> list[dict[str, Any]]:
        """For each style (translation: one), the last configuration minus the first."""
        out = []
        for style in dict.fromkeys(run.style for run in self.runs):
            rows = [run for run in self.runs if run.style == style]
            if len(rows) < 2:
                continue
            a, b = rows[0], rows[-1]
            diff: dict[str, Any] = {"of": b.config.label, "against": a.config.label}
            if style is not None:
                diff["style"] = style
            diff.update(
                {key: round(b.scores[key] - a.scores[key], 4) for key, _ in METRICS[self.task]}
            )
            diff["seconds"] = round(b.seconds - a.seconds, 3)
            diff["speedup"] = round(a.seconds / b.seconds, 3) if b.seconds > 0 else None
            out.append(diff)
        return out

    def as_json(self) -> dict[str, Any]:
        first = self.runs[0] if self.runs else None
        return {
            "schema_version": SCHEMA_VERSION,
            "task": self.task,
            "data": {
                "path": str(self.path),
                "format": self.data_format,
                UNIT[self.task]: len(self.lines),
                "skipped_lines": [p.as_dict() for p in self.skipped],
            },
            "signatures": first.signatures if first else {},
            "runs": [
                {
                    "config": run.config.label,
                    "options": run.config.flags,
                    "model": run.model,
                    "beams": run.beams,
                    **({"style": run.style} if run.style is not None else {}),
                    "scores": {key: round(value, 4) for key, value in run.scores.items()},
                    UNIT[self.task]: run.items,
                    "seconds": run.seconds,
                    "load_seconds": run.load_seconds,
                    f"{UNIT[self.task]}_per_second": round(run.per_second, 3),
                }
                for run in self.runs
            ],
            "differences": self.differences(),
        }


def _model_name(model: dict[str, Any]) -> str:
    name = str(model.get("id", "?"))
    return Path(name).name if name.startswith(("/", ".", "~")) else name


def _signed(value: float, digits: int) -> str:
    return f"{value:+.{digits}f}".replace("-", "−")


def render_table(report: Report) -> str:
    """The terminal table: rows, the B − A line(s), then what made each row and each figure."""
    metrics = METRICS[report.task]
    unit = UNIT[report.task]
    summary = report.task == "summary"
    head = ["config", "model", "engine", "compute", "beams", *(["style"] if summary else [])]
    head += [title for _, title in metrics] + [unit, "seconds", f"{unit[:3]}/s"]
    rows: list[list[str]] = []
    for run in report.runs:
        rows.append(
            [
                run.config.label,
                _model_name(run.model),
                str(run.model.get("engine", "")),
                str(run.model.get("compute_type", "")),
                str(run.beams),
                *([run.style or ""] if summary else []),
                *(f"{run.scores[key]:.2f}" for key, _ in metrics),
                str(run.items),
                f"{run.seconds:.2f}",
                f"{run.per_second:.2f}",
            ]
        )
    for diff in report.differences():
        speedup = diff["speedup"]
        rows.append(
            [
                f"{diff['of']} − {diff['against']}",
                "",
                "",
                "",
                "",
                *([diff.get("style", "")] if summary else []),
                *(_signed(diff[key], 2) for key, _ in metrics),
                "",
                _signed(diff["seconds"], 2),
                f"×{speedup:.2f}" if speedup is not None else "",
            ]
        )
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    numeric = {i for i, title in enumerate(head) if i >= 4 and title != "style"}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(head), *(line(row) for row in rows), ""]
    for run in report.runs:
        if run.style == report.runs[0].style:
            out.append(f"{run.config.label}: {run.config.flags}; model {run.model.get('id')}")
    if report.runs:
        out += [f"{name}: {sig}" for name, sig in report.runs[0].signatures.items()]
    out.append(
        f"data: {report.path} ({report.data_format}); seconds: generation only, model load "
        "not included"
    )
    if len(report.runs) > len({run.style for run in report.runs}):
        out.append("B − A: score differences in points; ×N: B's speed relative to A's")
    if report.skipped:
        listed = ", ".join(str(p.line) for p in report.skipped)
        out.append(f"skipped malformed lines: {listed}")
    return "\n".join(out)
