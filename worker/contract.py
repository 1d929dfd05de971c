"""The language-neutral contract: JSON Schemas shipped with the package in tasks/schemas/.

* ``job``: the one argument of every task (and the ``article`` of an intake entry). Generated
  from :class:`~worker.jobs.ArticleInput`, the one source of truth: the worker validates with
  that model, and a test keeps the committed file equal to :func:`job_schema`. Regenerate
  with ``python -m tarjama.worker.contract > tasks/schemas/job.schema.json``.
* ``result``: what Celery's Redis backend stores under ``celery-task-meta-<job_id>``:
  the envelope and the success document or the failure. Written by hand; the suite
  validates every result it stores against it.
* ``event``: one entry of the results stream. Written by hand; validated in the tests.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Literal

from tarjama.worker.jobs import ArticleInput

SchemaName = Literal["job", "result", "event"]
SCHEMA_NAMES: tuple[SchemaName, ...] = ("job", "result", "event")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_file(name: SchemaName) -> Traversable:
    return files("tarjama.tasks") / "schemas" / f"{name}.schema.json"


def load_schema(name: SchemaName) -> dict[str, Any]:
    """A shipped schema, parsed."""
    schema: dict[str, Any] = json.loads(schema_file(name).read_text(encoding="utf-8"))
    return schema


def job_schema() -> dict[str, Any]:
    """The job schema as :class:`ArticleInput` defines it (what job.schema.json must hold)."""
    generated = ArticleInput.model_json_schema()
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": DRAFT,
        "$id": "urn:tarjama:schema:job",
        "title": "tarjama job",
        "description": "The one argument of tarjama.process_article, tarjama.translate and "
        "tarjama.summarize (a JSON object), and the JSON in an intake entry's 'article' field. "
        "Generated from worker/jobs.py ArticleInput; do not edit by hand.",
        **generated,
    }


def render(schema: dict[str, Any]) -> str:
    """The committed form of a schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(job_schema()), end="")
