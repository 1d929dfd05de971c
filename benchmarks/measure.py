"""One benchmark row, in a fresh process: ``python -m benchmarks.measure '<Row as JSON>'``.

Loads one configuration, warms it up with a short call, times ``repeats`` full calls and
prints one JSON line: load time, the best time per unit (article, summary, ...) and every
run's, target tokens per unit (lengths checked), and this process's peak RSS.

Best of N, not the median: on a shared machine a run can be slowed several times over by
other processes (torch's thread pool suffers most), and the fastest run is the one least
disturbed, for every engine alike.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from benchmarks import workload
from benchmarks.workload import Workload
from tarjama.worker.stages import ModelKey, stage_for

Task = Literal["translation", "summary", "worker", "in-flight", "gate"]
Engine = Literal["transformers", "tarjama"]


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    task: Task
    engine: Engine
    beams: int
    batched: bool = True
    threads: int = 2
    repeats: int = 3
    translation_model: str = ""
    summary_model: str = ""
    cache_dir: str = ""

    def as_json(self) -> str:
        return json.dumps(asdict(self))


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident set since it started its program (VmHWM).

    Not ``ru_maxrss``: Linux carries that over ``fork`` and ``exec``, so a row started by a
    parent that had built the twins (2 GB) would report the parent's peak.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class LengthMismatch(AssertionError):
    """An engine did not generate the forced number of tokens: the comparison is unfair."""


def _check(lengths: list[int], expected: int, what: str) -> None:
    if any(n != expected for n in lengths):
        raise LengthMismatch(f"{what}: generated {sorted(set(lengths))} tokens, not {expected}")


def checkpoint_config(path: str) -> dict[str, Any]:
    """The twin's config.json, read as JSON (importing transformers would cost RSS)."""
    config: dict[str, Any] = json.loads((Path(path) / "config.json").read_text("utf-8"))
    return config


def _id_range(config: dict[str, Any]) -> tuple[int, int]:
    """Ids of ordinary tokens: above the special ones (0..4), below Marian's final <pad>."""
    pad = int(config["pad_token_id"])
    return 5, pad if pad > 5 else int(config["vocab_size"])


def _article_job(config: dict[str, Any]) -> Workload:
    return workload.article(_id_range(config), config["eos_token_id"])


def _summary_job(config: dict[str, Any]) -> tuple[Workload, dict[str, Any]]:
    """The summary input, and the standard style's length penalty and no-repeat n-grams."""
    from tarjama.worker.styles import StyleBook

    decoding = StyleBook.load().get("standard").decoding
    job = workload.summary_input(_id_range(config), config["bos_token_id"], config["eos_token_id"])
    extra = {
        "length_penalty": decoding.length_penalty,
        "no_repeat_ngram_size": decoding.no_repeat_ngram_size,
    }
    return job, extra


# --- transformers -------------------------------------------------------------------


class HfRunner:
    def __init__(self, path: str, threads: int) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        torch.set_num_threads(threads)
        started = time.perf_counter()
        self.model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=torch.float32).eval()
        self.load_s = time.perf_counter() - started
        self.config = checkpoint_config(path)

    def generate(self, rows: list[list[int]], beams: int, length: int, **extra: Any) -> None:
        """One ``generate`` call over ``rows`` (padded), exactly ``length`` new tokens each."""
        import torch

        pad, eos = self.config["pad_token_id"], self.config["eos_token_id"]
        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                num_beams=beams,
                min_new_tokens=length,
                max_new_tokens=length,
                forced_eos_token_id=None,  # else the last forced step is an EOS, not a token
                **extra,
            )
        new = out[:, 1:]  # after the decoder start token
        lengths = [int(new.shape[1] - (row == eos).sum()) for row in new]
        _check(lengths, length, "transformers")


def _hf_translation(row: Row) -> dict[str, Any]:
    runner = HfRunner(row.translation_model, row.threads)
    job = _article_job(runner.config)
    order = sorted(job.sources, key=len)

    def once() -> None:
        if row.batched:
            runner.generate(order, row.beams, job.target_length)
        else:
            for sentence in job.sources:
                runner.generate([sentence], row.beams, job.target_length)

    runner.generate(job.sources[:2], row.beams, 4)  # warm-up
    return _timed(row, once, runner.load_s, "article", job.target_tokens)


def _hf_summary(row: Row) -> dict[str, Any]:
    runner = HfRunner(row.summary_model, row.threads)
    job, extra = _summary_job(runner.config)
    extra["early_stopping"] = True  # as the transformers engine summarizes

    def once() -> None:
        runner.generate(job.sources, row.beams, job.target_length, **extra)

    runner.generate([job.sources[0][:40]], row.beams, 4, **extra)  # warm-up
    return _timed(row, once, runner.load_s, "summary", job.target_tokens)


# --- tarjama (its default engine) ---------------------------------------------------


class TarjamaRunner:
    """The worker's own engine objects (what ``ModelRegistry`` loads by default), fed the
    converted vocabulary's tokens for the workload's ids."""

    def __init__(self, row: Row, role: ModelKey, **settings: Any) -> None:
        from tarjama.worker.models.ctranslate2.conversion import converted_dir
        from tarjama.worker.models.ctranslate2.manifest import read_vocabulary
        from tarjama.worker.models.ctranslate2.seq2seq import CTranslate2Model
        from tarjama.worker.models.registry import ModelRegistry
        from tarjama.worker.models.spec import ModelSpec
        from tarjama.worker.settings import load_settings

        options = {
            "translation_model": row.translation_model,
            "summary_model": row.summary_model,
            "model_cache_dir": row.cache_dir,
            "offline": True,
            "translation_beams": row.beams,
            "intra_threads": row.threads,
        }
        self.settings = load_settings(**{**options, **settings})
        registry = ModelRegistry(self.settings)
        engine = registry.translator() if role == "translation" else registry.summarizer()
        assert isinstance(engine, CTranslate2Model), "tarjama's default engine is CTranslate2"
        self.engine = engine
        self.load_s = registry.load_seconds[role]
        # as translate() calls it: the article in one call, split by CTranslate2 if larger
        self.batch_tokens = self.settings.translation_batch_tokens if role == "translation" else 0
        spec = ModelSpec.for_stage(stage_for(role), self.settings)
        self.config = checkpoint_config(spec.name)
        directory = converted_dir(spec, Path(spec.name), self.settings.compute_type)
        self.vocabulary = read_vocabulary(directory, "source")

    def tokens(self, job: Workload) -> list[list[str]]:
        return [[self.vocabulary[i] for i in ids] for ids in job.sources]

    def generate(self, sources: list[list[str]], beams: int, length: int, **extra: Any) -> None:
        """The engine's one call over all sources, exactly ``length`` decoding steps each."""
        outputs = self.engine.generate(
            sources,
            num_beams=beams,
            min_length=length,
            max_length=length,
            max_batch_tokens=self.batch_tokens,
            **extra,
        )
        prefix = len(self.engine.manifest.target_prefix)  # BART's forced <s> is a step too
        _check([len(o) + prefix for o in outputs], length, "tarjama")


def _article_for(runner: TarjamaRunner) -> tuple[Workload, list[list[str]]]:
    job = _article_job(runner.config)
    return job, runner.tokens(job)


def _summary_for(runner: TarjamaRunner) -> tuple[Workload, list[list[str]], dict[str, Any]]:
    job, extra = _summary_job(runner.config)
    return job, runner.tokens(job), extra


def _tarjama_translation(row: Row) -> dict[str, Any]:
    runner = TarjamaRunner(row, "translation")
    job, sources = _article_for(runner)

    def once() -> None:
        runner.generate(sources, row.beams, job.target_length)

    runner.generate(sources[:2], row.beams, 4)  # warm-up
    return _timed(row, once, runner.load_s, "article", job.target_tokens)


def _tarjama_summary(row: Row) -> dict[str, Any]:
    runner = TarjamaRunner(row, "summary")
    job, sources, extra = _summary_for(runner)

    def once() -> None:
        runner.generate(sources, row.beams, job.target_length, **extra)

    runner.generate([sources[0][:40]], row.beams, 4, **extra)  # warm-up
    return _timed(row, once, runner.load_s, "summary", job.target_tokens)


def _tarjama_worker(row: Row) -> dict[str, Any]:
    """A worker process's day: both models and the language identifier loaded, an article
    translated, then summarized."""
    from tarjama.worker.language import LanguageIdentifier

    translator = TarjamaRunner(row, "translation")
    summarizer = TarjamaRunner(row, "summary")
    LanguageIdentifier().identify_many(_gate_article()[1])  # resident, as in a worker
    article, sources = _article_for(translator)
    summary, summary_sources, extra = _summary_for(summarizer)

    def once() -> None:
        translator.generate(sources, row.beams, article.target_length)
        summarizer.generate(summary_sources, row.beams, summary.target_length, **extra)

    translator.generate(sources[:2], row.beams, 4)  # warm-up
    load_s = translator.load_s + summarizer.load_s
    tokens = article.target_tokens + summary.target_tokens
    return _timed(row, once, load_s, "article + summary", tokens)


def _tarjama_in_flight(row: Row) -> dict[str, Any]:
    """Two articles at once on one translator with two 1-thread replicas (inter_threads=2)."""
    replicas = 2
    runner = TarjamaRunner(
        row, "translation", intra_threads=max(1, row.threads // replicas), inter_threads=replicas
    )
    job, sources = _article_for(runner)

    def once() -> None:
        threads = [
            threading.Thread(target=runner.generate, args=(sources, row.beams, job.target_length))
            for _ in range(replicas)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    runner.generate(sources[:2], row.beams, 4)  # warm-up
    return _timed(row, once, runner.load_s, f"{replicas} articles", replicas * job.target_tokens)


def _gate_article() -> tuple[str, list[str]]:
    """A title and an article of 20 Arabic news sentences (as the translation workload has),
    5 paragraphs of 4, from the language test set (tests/data/language_id.tsv)."""
    data = Path(__file__).resolve().parents[1] / "tests" / "data" / "language_id.tsv"
    lines = data.read_text(encoding="utf-8").splitlines()
    sentences = [line.split("\t")[2] for line in lines if line.startswith("ar-msa\tsentence\t")]
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, 20, 4)]
    return sentences[0].rstrip("."), paragraphs


def _tarjama_gate(row: Row) -> dict[str, Any]:
    """The language gate's share of a translation: per round, the workload's article
    translated (beam 4), then the gate run on an article of as many Arabic sentences, as the
    worker runs it (on the prepared document, before translating); the median of the
    per-round ratios, with their spread."""
    from tarjama.worker.jobs import ArticleInput
    from tarjama.worker.language import LanguageIdentifier
    from tarjama.worker.language_gate import GateRules, check_document
    from tarjama.worker.pipeline import prepare_document

    runner = TarjamaRunner(row, "translation")
    job, sources = _article_for(runner)
    started = time.perf_counter()
    identifier = LanguageIdentifier()
    identifier.load()
    load_s = runner.load_s + time.perf_counter() - started
    title, paragraphs = _gate_article()
    article = ArticleInput(text="\n\n".join(paragraphs), title=title)
    rules = GateRules()
    runner.generate(sources[:2], row.beams, 4)  # warm-up
    check_document(prepare_document(article), identifier, None, rules)
    translations, gates, ratios = [], [], []
    for _ in range(max(5, row.repeats)):
        started = time.perf_counter()
        runner.generate(sources, row.beams, job.target_length)
        translations.append(time.perf_counter() - started)
        document = prepare_document(article)
        started = time.perf_counter()
        verdict = check_document(document, identifier, None, rules)
        gates.append(time.perf_counter() - started)
        if verdict.code != "ar" or any(verdict.paragraphs):
            raise AssertionError(f"the gate misjudged the benchmark's Arabic article: {verdict}")
        ratios.append(gates[-1] / translations[-1])
    return {
        "key": row.key,
        "load_s": round(load_s, 2),
        "unit": "article",
        "seconds": round(min(gates), 6),
        "translation_seconds": round(min(translations), 3),
        "share": round(statistics.median(ratios), 6),
        "share_spread": [round(min(ratios), 6), round(max(ratios), 6)],
        "runs": [round(g, 6) for g in gates],
        "target_tokens": job.target_tokens,
    }


# --- timing -------------------------------------------------------------------------


def _timed(
    row: Row, once: Callable[[], None], load_s: float, unit: str, target_tokens: int
) -> dict[str, Any]:
    runs = []
    for _ in range(row.repeats):
        started = time.perf_counter()
        once()
        runs.append(time.perf_counter() - started)
    return {
        "key": row.key,
        "load_s": round(load_s, 2),
        "unit": unit,
        "seconds": round(min(runs), 3),
        "runs": [round(r, 3) for r in runs],
        "target_tokens": target_tokens,
    }


MEASURES: dict[tuple[Engine, Task], Callable[[Row], dict[str, Any]]] = {
    ("transformers", "translation"): _hf_translation,
    ("transformers", "summary"): _hf_summary,
    ("tarjama", "translation"): _tarjama_translation,
    ("tarjama", "summary"): _tarjama_summary,
    ("tarjama", "worker"): _tarjama_worker,
    ("tarjama", "in-flight"): _tarjama_in_flight,
    ("tarjama", "gate"): _tarjama_gate,
}


def main(argv: list[str]) -> int:
    row = Row(**json.loads(argv[0]))
    try:
        result = MEASURES[(row.engine, row.task)](row)
    except LengthMismatch as exc:
        result = {"key": row.key, "error": str(exc)}
    result["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(result))
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
