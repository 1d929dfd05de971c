"""``tarjama.translate``: translate an Arabic article (no summary)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tarjama.tasks import stages
from tarjama.tasks.base import JobTask
from tarjama.worker.jobs import ArticleInput
from tarjama.worker.pipeline import ProgressFn
from tarjama.worker.results import build_result
from tarjama.worker.stages import KINDS


@shared_task(bind=True, base=JobTask, name=KINDS["translation"].task)
def translate(self: JobTask, *args: Any, **kwargs: Any) -> dict[str, Any]:
    def work(article: ArticleInput, progress: ProgressFn) -> dict[str, Any]:
        translated = stages.translate(self.tarjama.runtime, article, progress)
        stages.count_translation(self.tarjama.runtime, translated["section"])
        seconds = translated["section"]["seconds"]
        return build_result(
            job_id=self.request.id,
            kind="translation",
            article=article,
            translation=translated["section"],
            summary=None,
            models={"translation": translated["model"], "summary": None},
            timings={"translation_s": seconds, "total_s": seconds},
        )

    return self.execute(args, kwargs, work)
