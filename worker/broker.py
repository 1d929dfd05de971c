"""Whether the broker still holds a job's message: queued, or delivered and not acknowledged.

On the Redis broker (kombu's Redis transport) a queue is a list of JSON messages (plus a
side list per message priority), and a message delivered to a worker stays in the hash
``unacked`` until the worker acknowledges it after the job (``task_acks_late``). The job id
is the message's ``headers.id``.

A resubmit asks this only when the job's state is ``PENDING`` and its submission mark says
``sent``: the job is either waiting in a queue, or its message is gone (a Redis master
that died before its replica had the message, or a result that was lost when the result
store failed over), and then it must be sent again. The check reads every message of the
job's queues, so it costs one pass over them, and only in that case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis import Redis

#: kombu's names: the hash of delivered, unacknowledged messages; the priority side lists.
UNACKED_KEY = "unacked"
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
_CHUNK = 500


def _message_id(raw: bytes) -> str | None:
    try:
        message: Any = json.loads(raw)
    except ValueError:
        return None
    if isinstance(message, list) and message:  # unacked: [message, exchange, routing key]
        message = message[0]
    headers = message.get("headers") if isinstance(message, dict) else None
    job_id = headers.get("id") if isinstance(headers, dict) else None
    return job_id if isinstance(job_id, str) else None


def _holds(raw: bytes | str, job_id: str, needles: tuple[bytes, ...]) -> bool:
    # the substring test is the cheap one; the id as written, or escaped by a JSON encoder
    data = raw.encode() if isinstance(raw, str) else raw
    return any(n in data for n in needles) and _message_id(data) == job_id


def _lists(queues: Iterable[str]) -> list[str]:
    return [
        q if step == 0 else f"{q}{PRIORITY_SEPARATOR}{step}"
        for q in queues
        for step in PRIORITY_STEPS
    ]


def holds_job(redis: Redis, job_id: str, queues: Iterable[str]) -> bool:
    """Whether a message of ``job_id`` is in one of ``queues`` or delivered and unacknowledged.

    Lists are read from the head in chunks; a message that moves from a queue to ``unacked``
    meanwhile is found there, because the queues are read first.
    """
    needles = (job_id.encode(), json.dumps(job_id)[1:-1].encode())
    for name in _lists(queues):
        start = 0
        while chunk := redis.lrange(name, start, start + _CHUNK - 1):
            if any(_holds(raw, job_id, needles) for raw in chunk):
                return True
            start += _CHUNK
    return any(
        _holds(raw, job_id, needles) for _, raw in redis.hscan_iter(UNACKED_KEY, count=_CHUNK)
    )
