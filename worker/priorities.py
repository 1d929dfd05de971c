"""Urgent news first: each priority has its own queue per stage.

``tarjama.translate.urgent``, ``tarjama.translate``, ``tarjama.translate.bulk`` (and the
same for ``tarjama.summarize``); workers poll them in a fixed order (kombu's ``priority``
queue-order strategy), so an urgent job overtakes every normal and bulk job already
waiting. Within one priority the summary stage comes first: jobs already half done finish
before new ones start, and summary stages cannot starve behind a translation backlog.

Measured against Redis message priorities on one queue (README, "Scaling out"): both put an
urgent job ahead of a 50-job bulk backlog; queues won because a producer that sets no
priority lands in the normal queue (kombu treats a message without a priority as the most
urgent), and because each backlog is visible as a queue length.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tarjama.worker.stages import STAGES, Stage

if TYPE_CHECKING:
    from tarjama.worker.settings import Settings

PRIORITIES = ("urgent", "normal", "bulk")


def base_queue(settings: Settings, stage: Stage) -> str:
    """The stage's normal-priority queue: TARJAMA_TRANSLATE_QUEUE, TARJAMA_SUMMARIZE_QUEUE."""
    name: str = getattr(settings, stage.queue_setting)
    return name


def priority_queue(settings: Settings, stage: Stage, priority: str) -> str:
    base = base_queue(settings, stage)
    return base if priority == "normal" else f"{base}.{priority}"


def route(settings: Settings, stage: Stage, priority: str | None) -> dict[str, Any]:
    """``send_task`` / ``Signature.set`` options for a job of this priority at this stage."""
    return {
        "queue": priority_queue(settings, stage, priority if priority in PRIORITIES else "normal")
    }


def consumed_queues(settings: Settings, stages: Iterable[Stage]) -> list[str]:
    """The queues a worker of these stages polls, in order: most urgent first, and within a
    priority later stages first (the summary stage before translation)."""
    wanted = set(stages)
    ordered = [stage for stage in reversed(STAGES) if stage in wanted]
    return [priority_queue(settings, s, p) for p in PRIORITIES for s in ordered]
