"""Inference engines behind two small Protocols.

The pipeline knows engines only through :class:`Translator` and :class:`Summarizer`. Each
backend module (``transformers_engine``, later others) implements both; importing this
package imports no torch.
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
