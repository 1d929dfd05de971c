"""The two stages as the tasks run them: glue between the runtime and the pipeline."""

from __future__ import annotations

from typing import Any

from tarjama.worker.jobs import ArticleInput
from tarjama.worker.pipeline import ProgressFn, prepare_document, summarize_text, translate_document
from tarjama.worker.results import summary_section, translation_section
from tarjama.worker.runtime import WorkerRuntime


def translate(
    runtime: WorkerRuntime, article: ArticleInput, progress: ProgressFn
) -> dict[str, Any]:
    """Translate the article: the result's translation section, plus the model used."""
    translator = runtime.models.translator()
    document = prepare_document(article, keep_diacritics=runtime.settings.keep_diacritics)
    output = translate_document(
        document, translator, cache=runtime.sentence_cache, progress=progress
    )
    section = translation_section(output)
    return {"section": section, "model": translator.info.as_dict()}


def count_translation(runtime: WorkerRuntime, section: dict[str, Any]) -> None:
    """Add a translation's sentence counts to the cluster counters (best effort)."""
    counts = section["counts"]
    runtime.metrics.add(
        {
            "sentences_translated": counts["cache_misses"],
            "sentence_cache_hits": counts["cache_hits"],
            "sentence_cache_misses": counts["cache_misses"],
            "passthrough_sentences": counts["passthrough_sentences"],
        }
    )


def summarize(
    runtime: WorkerRuntime,
    article: ArticleInput,
    text: str,
    title: str | None,
    progress: ProgressFn,
) -> dict[str, Any]:
    """Summarize English text with the job's style: the result's summary section."""
    style = runtime.styles.get(article.summary_style)
    summarizer = runtime.models.summarizer()
    output = summarize_text(text, title, style, summarizer, progress=progress)
    return {
        "section": summary_section(output),
        "model": summarizer.info.as_dict(),
        "seconds": output.seconds,
    }
