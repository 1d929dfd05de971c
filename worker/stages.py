"""The stage vocabulary: what a job runs, what a worker runs, what is named after a stage.

tarjama has two stages, **translate** (Arabic to English) and **summarize** (English to a
summary in a style). Each :class:`Stage` knows

* its ``name`` (``translate``): the worker role that runs only it (``TARJAMA_ROLE``,
  ``tarjama worker --role``), and the prefix of its worker settings: its queue
  (``TARJAMA_TRANSLATE_QUEUE``), concurrency and threads;
* its ``model`` (``translation``): the key of the result's ``models``, the prefix of its
  model settings (``TARJAMA_TRANSLATION_MODEL``, ``_REVISION``), its name in messages and
  counters;
* its ``tasks``: the Celery tasks that run it, all routed to its queues (one per priority:
  :mod:`worker.priorities`).

A worker role is a set of stages (:func:`stages_of`); a job kind is the stages a job runs,
in order, under one public task (:data:`KINDS`). A new model (another translator, an LLM
summarizer) adds nothing here: it is a model of an existing stage (``worker/models/``).

Imports nothing of the project, so every module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StageName = Literal["translate", "summarize"]
ModelKey = Literal["translation", "summary"]
#: What a worker runs: every stage, or the one named.
Role = Literal["all", StageName]
#: The result's ``kind``; ``client.submit(kind=...)``, ``tarjama submit --kind``.
JobKind = Literal["article", "translation", "summary"]


@dataclass(frozen=True)
class Stage:
    name: StageName
    model: ModelKey

    @property
    def queue_setting(self) -> str:
        """The setting that names its normal-priority queue (``translate_queue``)."""
        return f"{self.name}_queue"

    @property
    def model_setting(self) -> str:
        """The setting that names its model: a Hub id or a path (``translation_model``)."""
        return f"{self.model}_model"

    @property
    def revision_setting(self) -> str:
        return f"{self.model}_revision"

    @property
    def tasks(self) -> tuple[str, ...]:
        """The Celery tasks that run this stage (each routed to this stage's queues)."""
        return tuple(task for task, (_, stage) in TASKS.items() if stage == self)


TRANSLATE = Stage("translate", model="translation")
SUMMARIZE = Stage("summarize", model="summary")
#: In the order a job runs them.
STAGES = (TRANSLATE, SUMMARIZE)


def stages_of(role: Role) -> tuple[Stage, ...]:
    """The stages a worker of this role runs (and whose models it loads)."""
    return tuple(stage for stage in STAGES if role in ("all", stage.name))


def stage_for(model: ModelKey) -> Stage:
    """The stage whose model this is."""
    [stage] = [stage for stage in STAGES if stage.model == model]
    return stage


@dataclass(frozen=True)
class Kind:
    """A job kind: the stages a job runs, in order, under one public task."""

    name: JobKind
    #: The public task producers send (the stable API).
    task: str
    #: Of its job ids (``art-…``).
    id_prefix: str
    stages: tuple[Stage, ...]

    def task_for(self, stage: Stage) -> str:
        """The task that runs ``stage`` of such a job: the public task runs the first stage
        and hands the job (same id) to ``<task>.<stage>`` for each later one (internal:
        producers never send those)."""
        if stage not in self.stages:
            raise ValueError(f"a {self.name} job has no {stage.name} stage")
        return self.task if stage == self.stages[0] else f"{self.task}.{stage.name}"


KINDS: dict[JobKind, Kind] = {
    "article": Kind("article", "tarjama.process_article", "art", (TRANSLATE, SUMMARIZE)),
    "translation": Kind("translation", "tarjama.translate", "tr", (TRANSLATE,)),
    "summary": Kind("summary", "tarjama.summarize", "sum", (SUMMARIZE,)),
}

#: Every task that runs a stage: its name -> (the kind of job it belongs to, the stage).
TASKS: dict[str, tuple[Kind, Stage]] = {
    kind.task_for(stage): (kind, stage) for kind in KINDS.values() for stage in kind.stages
}
