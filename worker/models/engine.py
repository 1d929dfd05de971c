"""What an engine is, as the pipeline sees it: two small Protocols and their data.

The pipeline knows engines only through :class:`Translator` and :class:`Summarizer`; each
model path (``worker/models/transformers/``, ``worker/models/ctranslate2/``) implements
them. :class:`ModelInfo` says what produced an output (results, cache keys);
:class:`Decoding` is one call's generation settings. Imports nothing (no torch): producers,
the pipeline and the Celery parent may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ModelInfo:
    """What produced an output: reported in results and part of cache keys."""

    id: str
    revision: str | None
    engine: str
    family: str
    compute_type: str = "float32"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decoding:
    """Generation settings for one call."""

    num_beams: int = 4
    max_new_tokens: int = 256
    min_new_tokens: int = 0
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


OUTPUT_RATIO, OUTPUT_MARGIN = 1.5, 10
#: the budget rule as it enters sentence-cache keys
BUDGET_RULE = f"max_new={OUTPUT_RATIO}x+{OUTPUT_MARGIN}"


def translation_budget(source_tokens: int, limit: int) -> int:
    """New tokens a translation may take: proportional to the source, which stops runaway
    repetition loops (the same rule in every engine, so their outputs agree)."""
    return min(limit, int(source_tokens * OUTPUT_RATIO) + OUTPUT_MARGIN)


def check_input_lengths(lengths: Sequence[int], limit: int) -> None:
    too_long = [n for n in lengths if n > limit]
    if too_long:
        raise ValueError(f"input of {too_long[0]} tokens exceeds the model's limit of {limit}")


class Translator(Protocol):
    info: ModelInfo
    #: Longest input in tokens (from the model config): longer sentences must be split.
    max_input_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def translate(
        self, sentences: Sequence[str], on_progress: Callable[[int], None] | None = None
    ) -> list[str]:
        """Translate each sentence (same length and order); report sentences done."""
        ...

    @property
    def decoding_fingerprint(self) -> str:
        """Everything besides the model id, revision, engine and compute type that changes
        the output: decoding settings (beams, output budget, the model's generation defaults)
        and a digest of the loaded weights. Part of every sentence-cache key."""
        ...


class Summarizer(Protocol):
    info: ModelInfo
    max_input_tokens: int

    def count_tokens(self, text: str) -> int: ...

    def summarize(self, prompt: str, decoding: Decoding) -> str: ...
