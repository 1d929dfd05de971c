"""Tiny *real* models, built locally: for tests and for ``tarjama demo --tiny``.

Real tokenizers trained here (SentencePiece for MarianMT and T5, byte-level BPE for BART)
and real model classes with the real special-token layout, but a few thousand random
weights. They run the same loading and generation code as the published models; their
output is gibberish, and everything that shows it says so.

Given a ``shape`` (a published architecture, e.g. ``benchmarks/shapes/*.json``), the same
builders make a *shape twin*: the real layer sizes and vocabulary size, random weights (the
tokenizer's vocabulary is padded with filler tokens up to the model's).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

TINY_LABEL = "TINY RANDOM-WEIGHT MODEL (plumbing demo, not a translation)"

ENGLISH_LINES: tuple[str, ...] = (
    "The government opened a new solar powered desalination plant on Tuesday.",
    "The minister said the project will supply drinking water to half a million people.",
    "The plant cost about 2.5 billion dollars and took three years to build.",
    "Environmental experts welcomed the project but warned about the brine.",
    "Officials expect commercial production to begin next month.",
    "Thousands of people gathered in the capital to protest against rising prices.",
    "The central bank raised interest rates by half a percentage point.",
    "Heavy rain caused flooding in several northern provinces overnight.",
    "The football team won the championship after a dramatic penalty shootout.",
    "Foreign ministers met in Cairo to discuss the crisis in the region.",
    "The United Nations called for an immediate ceasefire and humanitarian access.",
    "Police arrested three suspects after the attack near the border crossing.",
    "The company announced plans to build a factory and hire two thousand workers.",
    "Oil prices fell sharply on Monday amid concerns about global demand.",
    "The president received the ambassador at the palace and discussed trade.",
    "Schools will reopen next week after the holiday, the ministry said.",
    "Doctors warned that the hospital is running short of medicine and fuel.",
    "The report said unemployment among young people reached a record high.",
    "Farmers complained that the drought has destroyed most of this year's harvest.",
    "The newspaper reported that the negotiations could resume in the coming days.",
    "Residents said the electricity has been cut for more than twelve hours a day.",
    "The parliament approved the budget after a long and heated debate.",
    "Researchers at the university developed a cheaper test for the disease.",
    "The airline will launch direct flights between the two cities in March.",
    "Rescue teams are still searching for survivors under the rubble.",
    "The court sentenced the former official to five years in prison.",
    "Tourism revenues rose by twenty percent compared with last year.",
    "The ministry of health recorded four hundred new cases this week.",
    "Analysts said the agreement is an important step towards stability.",
    "The festival attracted artists and visitors from more than forty countries.",
)


def sample_article_path() -> Path:
    """The short Arabic sample shipped in ``examples/`` (also packaged inside the wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "examples", here.parent / "examples"):
        if (candidate / "article-ar.txt").is_file():
            return candidate / "article-ar.txt"
    raise FileNotFoundError("examples/article-ar.txt is missing from this installation")


def default_corpus() -> list[str]:
    """Lines to train the tiny tokenizers on: the sample article plus English news lines."""
    arabic = [line.strip() for line in sample_article_path().read_text("utf-8").splitlines()]
    return [line for line in arabic if line] + list(ENGLISH_LINES)


def _train_spm(lines: Sequence[str], prefix: Path, vocab_size: int, **special: int) -> Path:
    import sentencepiece as spm

    corpus = prefix.with_suffix(".txt")
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
        **special,  # type: ignore[arg-type]
    )
    return prefix.with_suffix(".model")


#: Keys of a shape file that are not config fields.
_SHAPE_NOTES = ("_about", "architectures", "model_type", "generation_defaults")


def _shape_options(shape: Mapping[str, Any] | None) -> dict[str, Any]:
    """The config fields of a published architecture (notes and generation defaults dropped)."""
    return {k: v for k, v in (shape or {}).items() if k not in _SHAPE_NOTES}


#: Config options that only generation reads.
_GENERATION_KEYS = ("bad_words_ids", "forced_bos_token_id")


def _fillers(count: int) -> list[str]:
    """Tokens that pad a trained vocabulary up to a published model's vocabulary size."""
    return [f"<filler_{i}>" for i in range(count)]


def _save(model: object, tokenizer: object, out: Path, options: Mapping[str, Any]) -> Path:
    """Save model and tokenizer; generation options go into ``generation_config.json``.

    (A config built with ``bad_words_ids`` or ``forced_bos_token_id`` silently drops them:
    they belong to the generation config, where the published checkpoints' loaders put them.)
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    for key in _GENERATION_KEYS:
        if key in options:
            setattr(model.generation_config, key, options[key])  # type: ignore[attr-defined]
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)  # type: ignore[attr-defined]
    tokenizer.save_pretrained(out)  # type: ignore[attr-defined]
    return out


def build_marian(
    out: Path, lines: Iterable[str], *, seed: int = 0, shape: Mapping[str, Any] | None = None
) -> Path:
    """A MarianMT (opus-mt layout: eos=0, unk=1, pad=last) with a shared SentencePiece vocab."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    work = out / "_spm"
    work.mkdir(parents=True, exist_ok=True)
    spm_path = _train_spm(list(lines), work / "spm", 400, unk_id=1, bos_id=-1, eos_id=0, pad_id=-1)
    processor = spm.SentencePieceProcessor(model_file=str(spm_path))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    for filler in _fillers(_shape_options(shape).get("vocab_size", 0) - len(vocab) - 1):
        vocab[filler] = len(vocab)
    vocab["<pad>"] = len(vocab)
    for name in ("source.spm", "target.spm"):
        (work / name).write_bytes(spm_path.read_bytes())
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(
        source_spm=str(work / "source.spm"),
        target_spm=str(work / "target.spm"),
        vocab=str(work / "vocab.json"),
        source_lang="ar",
        target_lang="en",
    )
    pad = vocab["<pad>"]
    options: dict[str, Any] = {
        "vocab_size": len(vocab),
        "d_model": 32,
        "encoder_layers": 2,
        "decoder_layers": 2,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "encoder_ffn_dim": 64,
        "decoder_ffn_dim": 64,
        "max_position_embeddings": 512,
        "activation_function": "swish",
        "scale_embedding": True,
        "static_position_embeddings": True,
        "share_encoder_decoder_embeddings": True,
        "pad_token_id": pad,
        "eos_token_id": 0,
        "forced_eos_token_id": 0,
        "decoder_start_token_id": pad,
        "bad_words_ids": [[pad]],
        **_shape_options(shape),
    }
    config = MarianConfig(**options)
    torch.manual_seed(seed)
    return _save(MarianMTModel(config), tokenizer, out, options)


def build_bart(
    out: Path, lines: Iterable[str], *, seed: int = 0, shape: Mapping[str, Any] | None = None
) -> Path:
    """A BART (distilbart layout: bos=0, pad=1, eos=2) with a byte-level BPE trained here."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    work = out / "_bpe"
    work.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        list(lines),
        vocab_size=600,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    bpe.save_model(str(work))
    vocab_file = work / "vocab.json"
    vocab: dict[str, int] = json.loads(vocab_file.read_text(encoding="utf-8"))
    for filler in _fillers(_shape_options(shape).get("vocab_size", 0) - len(vocab)):
        vocab[filler] = len(vocab)
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = BartTokenizer(vocab=str(work / "vocab.json"), merges=str(work / "merges.txt"))
    options: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "d_model": 32,
        "encoder_layers": 2,
        "decoder_layers": 2,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "encoder_ffn_dim": 64,
        "decoder_ffn_dim": 64,
        "max_position_embeddings": 1024,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "decoder_start_token_id": 2,
        "forced_bos_token_id": 0,
        "forced_eos_token_id": 2,
        **_shape_options(shape),
    }
    config = BartConfig(**options)
    torch.manual_seed(seed)
    return _save(BartForConditionalGeneration(config), tokenizer, out, options)


def build_t5(out: Path, lines: Iterable[str], *, seed: int = 0) -> Path:
    """A T5 (pad=0, eos=1, unk=2; 512-token inputs) with a SentencePiece vocab trained here."""
    import sentencepiece as spm
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    work = out / "_spm"
    work.mkdir(parents=True, exist_ok=True)
    spm_path = _train_spm(list(lines), work / "spm", 400, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    processor = spm.SentencePieceProcessor(model_file=str(spm_path))
    vocab = [
        (processor.id_to_piece(i), processor.get_score(i))
        for i in range(processor.get_piece_size())
    ]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=512)
    options: dict[str, Any] = {
        "vocab_size": len(vocab),
        "d_model": 32,
        "d_kv": 16,
        "d_ff": 64,
        "num_layers": 2,
        "num_decoder_layers": 2,
        "num_heads": 2,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
        "n_positions": 512,
        # random weights favour <pad>; the real model never emits it mid-sequence
        "bad_words_ids": [[0]],
    }
    config = T5Config(**options)
    torch.manual_seed(seed)
    return _save(T5ForConditionalGeneration(config), tokenizer, out, options)


def build_tiny_models(root: Path, lines: Sequence[str] | None = None) -> dict[str, Path]:
    """Build the tiny MarianMT, BART and T5 under ``root``; reuse them if already there."""
    lines = list(lines) if lines is not None else default_corpus()
    random.Random(0).shuffle(lines)
    paths = {"marian": root / "marian", "bart": root / "bart", "t5": root / "t5"}
    builders = {"marian": build_marian, "bart": build_bart, "t5": build_t5}
    for name, path in paths.items():
        if not (path / "config.json").is_file():
            builders[name](path, lines)
    return paths
