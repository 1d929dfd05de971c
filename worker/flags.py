"""Flags: what a result marks for a human look, each with a code and a reason.

One shape for every flag in a result (``summary.flags`` today; per-sentence review flags of
translations later): ``{"code": "summary_has_arabic", "reason": "…"}``. The code is stable
and machine-readable (documented in README and ``tasks/schemas/result.schema.json``); the
reason is for the person who reads it.
"""

from __future__ import annotations

from typing import Final, TypedDict


class Flag(TypedDict):
    code: str
    reason: str


#: The summary is empty after clean-up (the model wrote nothing usable).
SUMMARY_EMPTY: Final = "summary_empty"
#: The summary contains Arabic letters (untranslated text, or a model that answered in Arabic).
SUMMARY_HAS_ARABIC: Final = "summary_has_arabic"

#: Every flag code, for the docs and the result schema.
FLAG_CODES: Final = (SUMMARY_EMPTY, SUMMARY_HAS_ARABIC)


def flag(code: str, reason: str) -> Flag:
    return {"code": code, "reason": reason}
