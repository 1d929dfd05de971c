"""Run one configuration over a test set through the worker's own code.

Sources are checked by the worker's job validation (``parse_job``) and split by its
segmentation (``prepare_document``); a source the worker would refuse is a problem of its
line. Translation goes through :func:`~worker.pipeline.translate_document` once for the
whole set (so the worker's length-sorted, token-budgeted batching and de-duplication apply
across it), summaries through :func:`~worker.pipeline.summarize_text` one document at a
time, with models from :class:`~worker.models.registry.ModelRegistry`. No Redis and no sentence
cache: every output is computed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tarjama.worker.errors import TarjamaError
from tarjama.worker.evaluation.configs import EvalConfig
from tarjama.worker.evaluation.datafile import LineProblem, Pair
from tarjama.worker.evaluation.metrics import score_summaries, score_translations
from tarjama.worker.jobs import parse_job
from tarjama.worker.models.registry import ModelRegistry
from tarjama.worker.pipeline import (
    Document,
    Segment,
    prepare_document,
    summarize_text,
    translate_document,
)
from tarjama.worker.settings import Settings
from tarjama.worker.styles import SummaryStyle

Update = Callable[[int, int], None]


@dataclass(frozen=True)
class Example:
    """One usable pair: the source as the worker splits it (sentences by paragraph)."""

    line: int
    text: str
    paragraphs: tuple[tuple[str, ...], ...]
    reference: str


@dataclass(frozen=True)
class RunResult:
    """One row of the report: a configuration (and summary style) over the whole set."""

    config: EvalConfig
    model: dict[str, Any]
    beams: int
    style: str | None
    scores: dict[str, float]
    signatures: dict[str, str]
    items: int
    seconds: float
    load_seconds: float
    outputs: list[str] = field(repr=False)

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0


def prepare_examples(
    pairs: Sequence[Pair], max_chars: int
) -> tuple[list[Example], list[LineProblem]]:
    """Sources the worker accepts, split as it splits them; a problem for each it refuses."""
    examples: list[Example] = []
    problems: list[LineProblem] = []
    for pair in pairs:
        try:
            article = parse_job({"text": pair.source}, max_chars=max_chars)
            document = prepare_document(article)
        except TarjamaError as exc:
            problems.append(
                LineProblem(pair.line, f"the worker refuses this source: {exc.message}")
            )
            continue
        paragraphs = tuple(tuple(s.source for s in p) for p in document.paragraphs)
        examples.append(Example(pair.line, article.text, paragraphs, pair.reference))
    return examples, problems


@contextlib.contextmanager
def progress_bar(description: str, total: int, unit: str, enabled: bool) -> Iterator[Update]:
    """A tqdm bar on stderr (only on a terminal); yields ``update(done, total)``."""
    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit=unit, disable=None if enabled else True) as bar:

        def update(done: int, new_total: int) -> None:
            bar.total = new_total
            bar.update(done - bar.n)

        yield update


def _use_threads(settings: Settings) -> None:
    """As a worker process does: TARJAMA_TORCH_THREADS threads (timings match one process)."""
    import torch

    torch.set_num_threads(settings.torch_threads)


def run_translation(
    config: EvalConfig, settings: Settings, examples: Sequence[Example], *, progress: bool
) -> RunResult:
    _use_threads(settings)
    registry = ModelRegistry(settings)
    translator = registry.translator()
    document = Document(
        title=[], paragraphs=[[Segment(s) for s in p] for ex in examples for p in ex.paragraphs]
    )
    with progress_bar(
        f"{config.label} translating", len(document.segments), "sentence", progress
    ) as update:
        output = translate_document(
            document, translator, progress=lambda _stage, done, total: update(done, total)
        )
    paragraphs = iter(document.paragraphs)
    hypotheses = [
        " ".join(seg.translation for _ in ex.paragraphs for seg in next(paragraphs))
        for ex in examples
    ]
    scores = score_translations(hypotheses, [ex.reference for ex in examples])
    return RunResult(
        config=config,
        model=translator.info.as_dict(),
        beams=settings.translation_beams,
        style=None,
        scores=scores.values,
        signatures=scores.signatures,
        items=len(examples),
        seconds=output.seconds,
        load_seconds=registry.load_seconds.get("translation", 0.0),
        outputs=hypotheses,
    )


def with_beams(style: SummaryStyle, beams: int | None) -> SummaryStyle:
    """The style with ``--beams`` applied: summary beams are part of each style's decoding."""
    if beams is None:
        return style
    return replace(style, decoding=replace(style.decoding, num_beams=beams))


def run_summaries(
    config: EvalConfig,
    settings: Settings,
    examples: Sequence[Example],
    styles: Sequence[SummaryStyle],
    *,
    progress: bool,
) -> list[RunResult]:
    """One row per style; the model loads once."""
    _use_threads(settings)
    registry = ModelRegistry(settings)
    summarizer = registry.summarizer()
    references = [ex.reference for ex in examples]
    results = []
    for base_style in styles:
        style = with_beams(base_style, config.beams)
        summaries: list[str] = []
        seconds = 0.0
        with progress_bar(f"{config.label} {style.name}", len(examples), "doc", progress) as update:
            for done, example in enumerate(examples, start=1):
                output = summarize_text(example.text, None, style, summarizer)
                summaries.append(output.text)
                seconds += output.seconds
                update(done, len(examples))
        scores = score_summaries(summaries, references)
        results.append(
            RunResult(
                config=config,
                model=summarizer.info.as_dict(),
                beams=style.decoding.num_beams,
                style=style.name,
                scores=scores.values,
                signatures=scores.signatures,
                items=len(examples),
                seconds=round(seconds, 3),
                load_seconds=registry.load_seconds.get("summary", 0.0),
                outputs=summaries,
            )
        )
    return results
