"""``python -m benchmarks`` (``make bench``): the side-by-side table, then end to end.

Options: ``--threads N`` (default: all cores), ``--repeats N`` timed calls per row (median
reported), ``--articles N`` for the end-to-end run, ``--skip-e2e`` / ``--only-e2e``,
``--rows KEY,...`` to run some rows only, ``--json FILE`` to keep the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import report, twins
from benchmarks.end_to_end import run_end_to_end
from benchmarks.rows import measure, plan


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; load average {load}"


def prepare(cache_dir: Path) -> tuple[Path, Path]:
    """Shape twins built and converted (int8) ahead: no row pays for either."""
    from tarjama.worker.models.registry import prepare as prepare_model
    from tarjama.worker.models.spec import ModelSpec
    from tarjama.worker.settings import load_settings
    from tarjama.worker.stages import STAGES

    started = time.perf_counter()
    translation = twins.ensure_twin(cache_dir, twins.TRANSLATION)
    summary = twins.ensure_twin(cache_dir, twins.SUMMARY)
    settings = load_settings(
        translation_model=str(translation), summary_model=str(summary), model_cache_dir=cache_dir
    )
    for stage in STAGES:
        prepare_model(ModelSpec.for_stage(stage, settings), settings)
    _say(f"shape twins ready in {cache_dir} ({time.perf_counter() - started:.0f}s)")
    return translation, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--only-e2e", action="store_true")
    parser.add_argument("--rows", default="", help="comma-separated row keys (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="write the raw figures here")
    args = parser.parse_args(argv)

    from tarjama.worker.settings import load_settings

    cache_dir = load_settings().model_cache_dir
    # The benchmark sets every setting itself: a developer's TARJAMA_* must not leak in.
    for name in [n for n in os.environ if n.startswith("TARJAMA_")]:
        del os.environ[name]
    translation, summary = prepare(cache_dir)
    rows = plan(translation, summary, cache_dir, args.threads, args.repeats)
    if args.rows:
        wanted = set(args.rows.split(","))
        rows = [row for row in rows if row.key in wanted]
    results: dict[str, dict[str, Any]] = {}
    if not args.only_e2e:
        for row in rows:
            _say(f"{row.key}: {row.label} ...")
            results[row.key] = measure(row)
            _say(f"{row.key}: {results[row.key]}")
    e2e: dict[str, dict[str, Any]] = {}
    if not args.skip_e2e:
        _say(f"end to end: {args.articles} articles, engine alone then through the queue ...")
        e2e = run_end_to_end(translation, summary, cache_dir, args.threads, args.articles)
    print(f"\nMachine: {machine()}; {args.threads} threads per process\n")
    if results:
        print(report.translation_table(rows, results) + "\n")
        print(report.summary_table(rows, results) + "\n")
        if any(row.task == "gate" for row in rows):
            print(report.gate_table(rows, results) + "\n")
    if e2e:
        print(report.end_to_end_table(e2e) + "\n")
    print("Targets:")
    found = report.targets(results, e2e)
    for target in found:
        print(target.line())
    if args.json:
        verdicts = [{**asdict(target), "met": target.met} for target in found]
        figures = {"rows": results, "end_to_end": e2e, "targets": verdicts}
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
