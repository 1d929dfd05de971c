"""``tarjama.process_article``: translate an Arabic article, then summarize the translation.

Two stages with one job id: the translation stage runs on the translate queue, then
replaces itself with the summary stage on the summarize queue (``Task.replace`` keeps the
id), so translation and summarization can run on different workers. One result is stored,
under the job's id.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tarjama.tasks import stages
from tarjama.tasks.base import Handoff, JobTask
from tarjama.worker.jobs import ArticleInput
from tarjama.worker.pipeline import ProgressFn
from tarjama.worker.results import build_result
from tarjama.worker.stages import KINDS, SUMMARIZE

ARTICLE = KINDS["article"]


@shared_task(bind=True, base=JobTask, name=ARTICLE.task)
def process_article(self: JobTask, *args: Any, **kwargs: Any) -> dict[str, Any]:
    def work(article: ArticleInput, progress: ProgressFn) -> Handoff | dict[str, Any]:
        runtime = self.tarjama.runtime
        runtime.styles.get(article.summary_style)  # an unknown style fails before translating
        translated = stages.translate(runtime, article, progress)
        section = translated["section"]
        stages.count_translation(runtime, section)
        if stages.passed_through(section):  # not Arabic, kept untranslated: no summary
            return build_result(
                job_id=self.request.id,
                kind="article",
                article=article,
                translation=section,
                summary=None,
                models={"translation": translated["model"], "summary": None},
                timings={"translation_s": section["seconds"], "total_s": section["seconds"]},
            )
        return Handoff(summarize_article.s(article.model_dump(mode="json"), translated))

    return self.execute(args, kwargs, work)


@shared_task(bind=True, base=JobTask, name=ARTICLE.task_for(SUMMARIZE))
def summarize_article(self: JobTask, article: Any, translated: dict[str, Any]) -> dict[str, Any]:
    """The second stage of process_article (internal: producers never send it)."""

    def work(job: ArticleInput, progress: ProgressFn) -> dict[str, Any]:
        section = translated["section"]
        text, title = stages.summary_input(section)
        summary = stages.summarize(self.tarjama.runtime, job, text, title, progress)
        return build_result(
            job_id=self.request.id,
            kind="article",
            article=job,
            translation=section,
            summary=summary["section"],
            models={"translation": translated["model"], "summary": summary["model"]},
            timings={
                "translation_s": section["seconds"],
                "summary_s": summary["seconds"],
                "total_s": round(section["seconds"] + summary["seconds"], 3),
            },
        )

    return self.execute((article,), {}, work)
