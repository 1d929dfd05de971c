"""The two stages as the tasks run them: glue between the runtime and the pipeline."""

from __future__ import annotations

from typing import Any

from tarjama.worker.errors import UnsupportedLanguage
from tarjama.worker.jobs import ArticleInput
from tarjama.worker.language import ARABIC, language_name, primary_language
from tarjama.worker.language_gate import GateRules, annotate, check_document
from tarjama.worker.pipeline import ProgressFn, prepare_document, summarize_text, translate_document
from tarjama.worker.results import summary_section, translation_section
from tarjama.worker.runtime import WorkerRuntime


def translate(
    runtime: WorkerRuntime, article: ArticleInput, progress: ProgressFn
) -> dict[str, Any]:
    """Translate the article: the result's translation section, plus the model used.

    The language gate runs on the reader's text before anything is translated: an article
    that is not Arabic fails here (UnsupportedLanguage), or passes through whole."""
    document = prepare_document(article, keep_diacritics=runtime.settings.keep_diacritics)
    rules = GateRules.from_settings(runtime.settings)
    verdict = check_document(document, runtime.language, article.source_language, rules)
    translator = runtime.models.translator()
    output = translate_document(
        document, translator, cache=runtime.sentence_cache, progress=progress
    )
    section = translation_section(output)
    annotate(section, verdict)
    return {"section": section, "model": translator.info.as_dict()}


def summary_input(section: dict[str, Any]) -> tuple[str, str | None]:
    """The English text and title to summarize: the translation, less what the language
    gate passed through in a language other than English (the summarizer reads English)."""
    english = [
        " ".join(pair["translation"] for pair in paragraph["sentences"])
        for paragraph in section["paragraphs"]
        if paragraph.get("language", {"code": "en"})["code"] == "en"
    ]
    # .get: a hand-off from a worker that predates the gate has no language section
    title = (section.get("language") or {}).get("title", {"code": "en"})
    return "\n\n".join(english), section["title"] if title["code"] == "en" else None


def passed_through(section: dict[str, Any]) -> bool:
    """Whether the language gate passed the whole article through (nothing to summarize)."""
    return bool(section["language"]["passthrough"])


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


def check_english(article: ArticleInput) -> None:
    """tarjama.summarize takes English: a job that says its text is in another language is
    refused (Arabic goes to tarjama.process_article)."""
    if article.source_language is None:
        return
    code = primary_language(article.source_language)
    if code != "en":
        message = (
            f"source_language is {article.source_language} ({language_name(code)}); "
            "tarjama.summarize summarizes English text only"
        )
        if code == ARABIC:
            message += ": send Arabic articles to tarjama.process_article"
        raise UnsupportedLanguage(message)
