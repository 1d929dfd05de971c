"""The job contract: validation into coded errors, and idempotent ids."""

from __future__ import annotations

from typing import Any

import pytest

from tarjama.worker.errors import ArticleTooLarge, InvalidArticle
from tarjama.worker.jobs import job_id_for, parse_job

INVALID: list[tuple[Any, str]] = [
    ({"text": ""}, "empty"),
    ({"text": " \n\u00a0\t"}, "empty"),
    ({"text": None}, "text"),
    ({"text": ["a"]}, "text"),
    ({"text": 3}, "text"),
    ({}, "text: Field required"),
    ("just a string", "JSON object"),
    (None, "JSON object"),
    ({"text": "نص", "summary_styel": "brief"}, "unknown field"),
    ({"text": "نص", "format": "pdf"}, "format"),
    ({"text": "نص", "priority": "asap"}, "priority"),
    ({"text": "نص\ud800"}, "lone surrogate"),
    ({"text": "نص\x00نص"}, "NUL"),
    ({"text": "نص", "title": 5}, "title"),
    ({"text": "نص", "metadata": "x"}, "metadata"),
    ({"text": "نص", "source_language": "Arabic"}, "source_language"),
    ({"text": "نص", "source_language": "ar\n"}, "source_language"),
]


@pytest.mark.parametrize(("payload", "hint"), INVALID)
def test_invalid_payloads_raise_invalid_article(payload: Any, hint: str) -> None:
    with pytest.raises(InvalidArticle) as caught:
        parse_job(payload, max_chars=1000)
    assert caught.value.code == "invalid_article"
    assert hint in caught.value.message


def test_too_large_names_the_limit_and_the_setting() -> None:
    with pytest.raises(ArticleTooLarge) as caught:
        parse_job({"text": "ب" * 1001}, max_chars=1000)
    assert "1,001" in caught.value.message
    assert "TARJAMA_MAX_ARTICLE_CHARS" in caught.value.message


def test_valid_job_keeps_its_fields() -> None:
    job = parse_job(
        {"text": "نص", "title": "عنوان", "metadata": {"desk": "world"}, "priority": "urgent"},
        max_chars=1000,
    )
    assert job.title == "عنوان"
    assert job.metadata == {"desk": "world"}
    assert job.priority == "urgent"
    assert job.summary_style is None


def test_job_ids_are_deterministic_and_depend_on_content_and_options() -> None:
    base = {"text": "نص", "title": "عنوان"}
    same = job_id_for("article", dict(reversed(list(base.items()))))
    assert job_id_for("article", base) == same
    assert job_id_for("article", base).startswith("art-")
    assert job_id_for("translation", base).startswith("tr-")
    assert job_id_for("article", base) != job_id_for("article", {**base, "summary_style": "brief"})
    assert job_id_for("article", base) != job_id_for("article", {**base, "text": "نص آخر"})
    # priority decides when, not what: the same job
    assert job_id_for("article", base) == job_id_for("article", {**base, "priority": "bulk"})
    # invalid payloads still get a stable id (their failure is stored under it)
    assert job_id_for("article", {"text": 5}) == job_id_for("article", {"text": 5})


def test_source_language_is_part_of_the_job_only_when_given() -> None:
    # Jobs without it keep the ids they had before the field existed (same content, same id)
    assert job_id_for("article", {"text": "نص", "title": "عنوان"}) == (
        "art-22dbfc1151cea07a0db50214382ae14b"
    )
    assert job_id_for("translation", {"text": "نص"}) == "tr-ca59ee771bec809ec04696b047835f2f"
    # and saying it makes another job (it can change the outcome)
    said = job_id_for("translation", {"text": "نص", "source_language": "ar"})
    assert said != job_id_for("translation", {"text": "نص"})
    assert said != job_id_for("translation", {"text": "نص", "source_language": "fa"})
