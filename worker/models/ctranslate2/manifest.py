"""What tarjama keeps beside CTranslate2's own files in a converted model directory.

:class:`Manifest` (``tarjama.json``) holds what ``generate`` would read from the
checkpoint's generation config and tokenizer, so the CTranslate2 path decodes as the
transformers path does. Written by :mod:`.converter`, read by the loaders; imports nothing
heavy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Bump when what the converter writes changes: older conversions are then redone.
FORMAT = 1
MANIFEST = "tarjama.json"


@dataclass(frozen=True)
class Manifest:
    """What tarjama needs besides CTranslate2's files: written by the converter."""

    model_type: str
    family: str
    compute_type: str
    max_input_tokens: int
    #: "tokenizers" (a ``tokenizer.json``) or "marian" (``source.spm``/``target.spm``).
    tokenizer: str
    #: Tokens the decoder is forced to start with (BART's forced BOS), as transformers does.
    target_prefix: list[str] = field(default_factory=list)
    #: transformers forces EOS as the last allowed token: one content token less.
    forced_eos: bool = False
    suppress_sequences: list[list[str]] = field(default_factory=list)
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    clean_up_tokenization_spaces: bool = False
    #: Dropped from outputs, as ``decode(..., skip_special_tokens=True)`` does.
    special_tokens: list[str] = field(default_factory=list)
    source: str = ""
    format: int = FORMAT

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        return cls(**json.loads((directory / MANIFEST).read_text(encoding="utf-8")))


def read_vocabulary(directory: Path, side: str = "target") -> list[str]:
    """A converted model's vocabulary (shared, or the source/target one)."""
    for name in ("shared_vocabulary.json", f"{side}_vocabulary.json"):
        if (directory / name).is_file():
            return list(json.loads((directory / name).read_text(encoding="utf-8")))
    raise FileNotFoundError(f"{directory} has no {side} vocabulary")
