"""What every engine decodes: token ids of fixed counts, outputs of forced lengths.

Tokenization is not what is measured: each engine gets the same random ids (as ids, or as
the converted vocabulary's tokens), and generates exactly the same number of tokens (EOS
held back until the forced length, checked on what the engine returns).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: An article of 20 sentences of about 30 tokens (21..39 and one 30: mean 30, EOS included).
ARTICLE_SOURCE_LENGTHS: tuple[int, ...] = (*range(21, 40), 30)
#: Forced translation length: 1.3 x the mean source length, for every sentence.
TRANSLATION_RATIO = 1.3
SUMMARY_SOURCE_LENGTH = 800
SUMMARY_TARGET_LENGTH = 80


@dataclass(frozen=True)
class Workload:
    sources: list[list[int]]
    target_length: int

    @property
    def target_tokens(self) -> int:
        return self.target_length * len(self.sources)


def _ids(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    return [rng.randrange(low, high) for _ in range(count)]


def article(ids: tuple[int, int], eos: int, lengths: tuple[int, ...] | None = None) -> Workload:
    """Random sentences: ids drawn from ``ids`` (no special ones), then EOS (Marian's frame)."""
    lengths = lengths or ARTICLE_SOURCE_LENGTHS
    rng = random.Random(20)
    sources = [[*_ids(rng, n - 1, *ids), eos] for n in lengths]
    return Workload(sources, round(TRANSLATION_RATIO * sum(lengths) / len(lengths)))


def summary_input(ids: tuple[int, int], bos: int, eos: int, length: int | None = None) -> Workload:
    """One input of ``length`` tokens: <s> ids </s>, as BART's tokenizer frames a text."""
    rng = random.Random(80)
    body = _ids(rng, (length or SUMMARY_SOURCE_LENGTH) - 2, *ids)
    return Workload([[bos, *body, eos]], SUMMARY_TARGET_LENGTH)
