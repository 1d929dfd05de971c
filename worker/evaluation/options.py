"""The command-line options of ``tarjama evaluate``, shared by both commands and ``--compare``.

The configuration options (``--model``, ``--engine``, ...) are declared once: the commands
take them, and ``--compare '--engine ctranslate2 --compute int8'`` is parsed with the same
declarations, so the second configuration accepts exactly what the first does.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, get_args

import click

from tarjama.worker.evaluation.configs import Task
from tarjama.worker.settings import Device, Engine

F = TypeVar("F", bound=Callable[..., Any])
Spec = tuple[tuple[str, ...], dict[str, Any]]


def _config_specs(task: Task) -> list[Spec]:
    model_env = "TARJAMA_TRANSLATION_MODEL" if task == "translation" else "TARJAMA_SUMMARY_MODEL"
    beams_help = (
        "Beam size (default TARJAMA_TRANSLATION_BEAMS)."
        if task == "translation"
        else "Beam size for every style (default: each style's own)."
    )
    return [
        (
            ("--model",),
            {"default": None, "help": f"Hub id or local directory (default {model_env})."},
        ),
        (
            ("--engine",),
            {"type": click.Choice(get_args(Engine)), "default": None, "help": "Inference engine."},
        ),
        (
            ("--compute",),
            {"default": None, "help": "Compute type of the engine, e.g. int8 (ctranslate2)."},
        ),
        (("--beams",), {"type": click.IntRange(1, 16), "default": None, "help": beams_help}),
        (("--device",), {"type": click.Choice(get_args(Device)), "default": None}),
        (
            ("--threads",),
            {
                "type": click.IntRange(1, 256),
                "default": None,
                "help": "Torch threads (default TARJAMA_TORCH_THREADS: timings of one worker).",
            },
        ),
    ]


def _decorate(f: F, specs: list[Spec]) -> F:
    for decls, attrs in reversed(specs):
        f = click.option(*decls, **attrs)(f)
    return f


def parse_compare(text: str, task: Task) -> dict[str, Any]:
    """The options given to ``--compare``, parsed like the command's own."""
    command = click.Command(
        "--compare",
        params=[click.Option(list(decls), **attrs) for decls, attrs in _config_specs(task)],
        add_help_option=False,
    )
    try:
        with command.make_context("--compare", shlex.split(text)) as ctx:
            return {k: v for k, v in ctx.params.items() if v is not None}
    except ValueError as exc:  # shlex: unbalanced quotes
        raise click.BadParameter(str(exc), param_hint="--compare") from None
    except click.UsageError as exc:
        raise click.BadParameter(exc.format_message(), param_hint="--compare") from None


def evaluation_options(task: Task) -> Callable[[F], F]:
    """Every option of ``tarjama evaluate <task>``."""
    source = "source" if task == "translation" else "text"
    unit = "segments" if task == "translation" else "documents"
    specs: list[Spec] = [
        (
            ("--data",),
            {
                "required": True,
                "type": click.Path(exists=True, dir_okay=False, path_type=Path),
                "help": f"TSV ({source}<TAB>reference) or JSONL "
                f'({{"{source}": …, "reference": …}}).',
            },
        ),
        (
            ("--format", "data_format"),
            {
                "type": click.Choice(["auto", "tsv", "jsonl"]),
                "default": "auto",
                "show_default": True,
                "help": "auto: .jsonl/.json/.ndjson are JSONL, .tsv/.tab/.txt TSV, else sniffed.",
            },
        ),
        (("--source-key",), {"default": source, "show_default": True, "help": "JSONL key."}),
        (
            ("--reference-key",),
            {"default": "reference", "show_default": True, "help": "JSONL key."},
        ),
        *_config_specs(task),
        (
            ("--compare",),
            {
                "default": None,
                "metavar": "'OPTIONS'",
                "help": "Also run a second configuration B: these options on top of the first "
                "(e.g. '--engine ctranslate2 --compute int8'); prints both and B − A.",
            },
        ),
        (
            ("--skip-invalid",),
            {
                "is_flag": True,
                "help": "Skip malformed lines (listed on stderr and in the JSON) instead of "
                "refusing the file.",
            },
        ),
        (
            ("--limit",),
            {"type": click.IntRange(1), "default": None, "help": f"Only the first N {unit}."},
        ),
        (
            ("--save-outputs",),
            {
                "type": click.Path(dir_okay=False, writable=True, path_type=Path),
                "default": None,
                "help": "Write every output with its line and reference as JSONL.",
            },
        ),
        (("--json", "as_json"), {"is_flag": True, "help": "Print the report as JSON."}),
    ]
    if task == "summary":
        specs.append(
            (
                ("--style", "styles"),
                {
                    "multiple": True,
                    "help": "Summary style (repeatable; default TARJAMA_DEFAULT_SUMMARY_STYLE).",
                },
            )
        )
    return lambda f: _decorate(f, specs)
