"""``tarjama evaluate translation|summary``: read, check, run each configuration, report.

Everything that can be refused is refused before a model loads: missing packages, bad
settings of either configuration, unknown styles, weights that cannot be found, and a data
file with malformed lines (unless ``--skip-invalid``). Exit codes: 0 done, 2 configuration,
3 model unavailable (both through the CLI's ``friendly_errors``), 4 unusable data file,
130 interrupted.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from tarjama.worker.errors import ConfigurationError, InvalidTestSet, UnknownStyle
from tarjama.worker.evaluation.configs import EvalConfig, Task
from tarjama.worker.evaluation.datafile import (
    Columns,
    FormatChoice,
    listing,
    read_pairs,
    usable_pairs,
)
from tarjama.worker.evaluation.metrics import require_packages
from tarjama.worker.evaluation.options import parse_compare
from tarjama.worker.evaluation.report import Report, render_table
from tarjama.worker.evaluation.runner import (
    RunResult,
    prepare_examples,
    run_summaries,
    run_translation,
)
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.models.weights import locate
from tarjama.worker.settings import Settings
from tarjama.worker.stages import stage_for
from tarjama.worker.styles import StyleBook, SummaryStyle

EXIT_DATA = 4
EXIT_INTERRUPTED = 130


def _styles(settings: Settings, names: Sequence[str]) -> list[SummaryStyle]:
    book = StyleBook.load(settings.prompts_dir, settings.default_summary_style)
    try:
        return [book.get(name) for name in dict.fromkeys(names or [book.default])]
    except UnknownStyle as exc:
        raise ConfigurationError(f"--style: {exc.message}") from None


def evaluate(
    task: Task,
    path: Path,
    configs: Sequence[EvalConfig],
    *,
    data_format: FormatChoice = "auto",
    columns: Columns | None = None,
    styles: Sequence[str] = (),
    skip_invalid: bool = False,
    limit: int | None = None,
    progress: bool = True,
    warn: Callable[[str], None] = lambda message: None,
) -> Report:
    """Run every configuration over the pairs of ``path``; the report of their scores."""
    require_packages(task)
    settings = [config.settings(task) for config in configs]
    chosen_styles = _styles(settings[0], styles) if task == "summary" else []
    data = read_pairs(path, data_format=data_format, columns=columns)
    examples, refused = prepare_examples(data.pairs, settings[0].max_article_chars)
    skipped = usable_pairs(
        path, len(examples), [*data.problems, *refused], skip_invalid=skip_invalid
    )
    if skipped:
        warn(f"skipping {len(skipped)} malformed line(s) of {path}:\n{listing(skipped)}")
    examples = examples[:limit] if limit else examples
    for config_settings in settings:  # as `tarjama worker` does: weights found before any run
        locate(ModelSpec.for_stage(stage_for(task), config_settings))
    runs: list[RunResult] = []
    for config, config_settings in zip(configs, settings, strict=True):
        if task == "translation":
            runs.append(run_translation(config, config_settings, examples, progress=progress))
        else:
            runs += run_summaries(
                config, config_settings, examples, chosen_styles, progress=progress
            )
        gc.collect()  # the models of this configuration go before the next one loads
    return Report(
        task,
        path,
        data.format,
        skipped,
        runs,
        lines=[ex.line for ex in examples],
        references=[ex.reference for ex in examples],
    )


def save_outputs(path: Path, report: Report) -> None:
    """Every output of every row, with its line number and reference, as JSONL."""
    with path.open("w", encoding="utf-8") as out:
        for run in report.runs:
            for line, output, reference in zip(
                report.lines, run.outputs, report.references, strict=True
            ):
                record = {"config": run.config.label, "style": run.style, "line": line}
                record |= {"output": output, "reference": reference}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_command(task: Task, options: dict[str, Any]) -> int:
    """The body of both commands, given their parsed options; returns the exit code."""
    first = EvalConfig().changed("A", options)
    configs = [first]
    if options["compare"] is not None:
        configs.append(first.changed("B", parse_compare(options["compare"], task)))

    def warn(message: str) -> None:
        click.echo(f"tarjama evaluate: {message}", err=True)

    try:
        report = evaluate(
            task,
            options["data"],
            configs,
            data_format=options["data_format"],
            columns=Columns(options["source_key"], options["reference_key"]),
            styles=options.get("styles", ()),
            skip_invalid=options["skip_invalid"],
            limit=options["limit"],
            warn=warn,
        )
    except InvalidTestSet as exc:
        warn(exc.message)
        return EXIT_DATA
    except KeyboardInterrupt:
        warn("interrupted")
        return EXIT_INTERRUPTED
    if options["save_outputs"] is not None:
        save_outputs(options["save_outputs"], report)
    if options["as_json"]:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(report))
    return 0
