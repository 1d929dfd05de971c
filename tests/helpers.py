"""Small helpers shared by the tests."""

from __future__ import annotations

import uuid
from typing import Any

from tasks.client import JobStatus, TarjamaClient
from worker.settings import Settings, load_settings

PREFIX = "TARJAMA_"


def settings_from_env(env: dict[str, str]) -> Settings:
    return load_settings(
        **{k[len(PREFIX) :].lower(): v for k, v in env.items() if k.startswith(PREFIX)}
    )


def unique_article(text: str, **fields: Any) -> dict[str, Any]:
    """A job whose id nobody else in the session uses (ids derive from the content)."""
    return {"text": text, "id": uuid.uuid4().hex, **fields}


def run_job(
    client: TarjamaClient, job: Any, *, kind: str = "article", timeout: float = 120
) -> JobStatus:
    """Submit through the real queue and wait for the stored result."""
    job_id = client.submit(job, kind=kind)  # type: ignore[arg-type]
    return client.wait(job_id, timeout=timeout)


_ARABIC_LETTERS = "ابتثجحخدذرزسشصضطع"


def arabic_word(length: int = 10) -> str:
    """A random word of Arabic letters: makes a sentence nobody else in the session uses."""
    return "".join(_ARABIC_LETTERS[int(c, 16)] for c in uuid.uuid4().hex[:length])
