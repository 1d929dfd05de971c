"""Text <-> subword tokens for the CTranslate2 path, without transformers (or torch).

The converter saves each model's Hugging Face tokenizer in a form these classes read:
``tokenizer.json`` (the ``tokenizers`` library that transformers' fast tokenizers wrap) or
Marian's SentencePiece models. Both produce the tokens transformers produces (checked by
tests against transformers on the tiny models); CTranslate2 maps tokens to ids itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, cast

from tarjama.worker.models.ctranslate2.manifest import Manifest, read_vocabulary

SPIECE_UNDERLINE = "▁"
UNKNOWN = "<unk>"
EOS = "</s>"


def clean_up_tokenization(text: str) -> str:
    """transformers' ``clean_up_tokenization``, for tokenizers configured to apply it."""
    for spaced, tight in (
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
        (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ):  # fmt: skip
        text = text.replace(spaced, tight)
    return text


class Subwords(Protocol):
    def encode(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text as the model's input tokens, special tokens included."""
        ...

    def decode(self, tokens: Sequence[str]) -> str:
        """Output tokens to text, special tokens dropped."""
        ...


class TokenizersSubwords:
    """A ``tokenizer.json`` (BART, T5, Pegasus...)."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._clean_up = manifest.clean_up_tokenization_spaces

    def encode(self, texts: Sequence[str]) -> list[list[str]]:
        # by id: a character outside the vocabulary is the unknown token, not itself
        token = self._tokenizer.id_to_token  # an encoding's ids are all in the vocabulary
        return [
            [cast(str, token(i)) for i in e.ids] for e in self._tokenizer.encode_batch(list(texts))
        ]

    def decode(self, tokens: Sequence[str]) -> str:
        ids = [self._tokenizer.token_to_id(token) for token in tokens]
        text = self._tokenizer.decode([i for i in ids if i is not None], skip_special_tokens=True)
        return clean_up_tokenization(text) if self._clean_up else text


class MarianSubwords:
    """MarianMT's SentencePiece models, as ``MarianTokenizer`` applies them."""

    def __init__(self, directory: Path, manifest: Manifest) -> None:
        import sentencepiece as spm

        self._source = spm.SentencePieceProcessor(model_file=str(directory / "source.spm"))
        self._target = spm.SentencePieceProcessor(model_file=str(directory / "target.spm"))
        # Marian's vocabulary is not the SentencePiece model's: other pieces are unknown
        self._vocabulary = frozenset(read_vocabulary(directory, "source"))
        self._special = frozenset(manifest.special_tokens)
        self._clean_up = manifest.clean_up_tokenization_spaces

    def encode(self, texts: Sequence[str]) -> list[list[str]]:
        pieces: list[list[str]] = self._source.encode(list(texts), out_type=str)
        known = self._vocabulary
        return [[*(p if p in known else UNKNOWN for p in row), EOS] for row in pieces]

    def decode(self, tokens: Sequence[str]) -> str:
        kept = [token for token in tokens if token not in self._special]
        text = str(self._target.decode_pieces(kept)).replace(SPIECE_UNDERLINE, " ").strip()
        return clean_up_tokenization(text) if self._clean_up else text


def load_subwords(directory: Path, manifest: Manifest) -> Subwords:
    if manifest.tokenizer == "marian":
        return MarianSubwords(directory, manifest)
    return TokenizersSubwords(directory / "tokenizer.json", manifest)
