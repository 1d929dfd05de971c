"""``tarjama.summarize``: summarize English text directly, with the same styles."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tarjama.tasks import stages
from tarjama.tasks.base import JobTask
from tarjama.worker.jobs import ArticleInput
from tarjama.worker.pipeline import ProgressFn
from tarjama.worker.results import build_result
from tarjama.worker.stages import KINDS


@shared_task(bind=True, base=JobTask, name=KINDS["summary"].task)
def summarize(self: JobTask, *args: Any, **kwargs: Any) -> dict[str, Any]:
    def work(article: ArticleInput, progress: ProgressFn) -> dict[str, Any]:
        stages.check_english(article)
        summary = stages.summarize(
            self.tarjama.runtime, article, article.text, article.title, progress
        )
        return build_result(
            job_id=self.request.id,
            kind="summary",
            article=article,
            translation=None,
            summary=summary["section"],
            models={"translation": None, "summary": summary["model"]},
            timings={"summary_s": summary["seconds"], "total_s": summary["seconds"]},
        )

    return self.execute(args, kwargs, work)
