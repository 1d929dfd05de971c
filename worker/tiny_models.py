"""Tiny *real* models, built locally: for tests and for ``tarjama demo --tiny``.

Real tokenizers trained here (SentencePiece for MarianMT and T5, byte-level BPE for BART)
and real model classes with the real special-token layout, but a few thousand random
weights. They run the same loading and generation code as the published models; their
output is gibberish, and everything that shows it says so.

The decoder-only chat models (a Qwen2.5-style and a Llama-3-style one) carry the published
models' added tokens in the published order and roles (Qwen2.5: ``<|endoftext|>`` pad,
``<|im_start|>``/``<|im_end|>`` turns, eos ``<|im_end|>``; Llama 3: ``<|begin_of_text|>``,
``<|start_header_id|>``/``<|end_header_id|>``, eos ``<|eot_id|>``), a chat template in the
family's style and the published generation defaults (sampling on: an engine that wants
greedy search must say so).

Given a ``shape`` (a published architecture, e.g. ``benchmarks/shapes/*.json``), the same
builders make a *shape twin*: the real layer sizes and vocabulary size, random weights (the
tokenizer's vocabulary is padded with filler tokens up to the model's; a Qwen twin's added
tokens get their published ids).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
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


# --- decoder-only chat models -----------------------------------------------------------

#: The pre-tokenizer patterns of the published tokenizers (Qwen2 splits digits one by one,
#: Llama 3 in runs of up to three).
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

#: Qwen2.5's added tokens in their published order (ids 151643…151664 there), and whether
#: each is special.
QWEN2_ADDED: tuple[tuple[str, bool], ...] = (
    ("<|endoftext|>", True),
    ("<|im_start|>", True),
    ("<|im_end|>", True),
    *(
        (f"<|{name}|>", True)
        for name in (
            "object_ref_start",
            "object_ref_end",
            "box_start",
            "box_end",
            "quad_start",
            "quad_end",
            "vision_start",
            "vision_end",
            "vision_pad",
            "image_pad",
            "video_pad",
        )
    ),
    ("<tool_call>", False),
    ("</tool_call>", False),
    *(
        (f"<|{name}|>", False)
        for name in ("fim_prefix", "fim_middle", "fim_suffix", "fim_pad", "repo_name", "file_sep")
    ),
)

#: Llama 3's first added tokens in their published order (ids 128000…128010 there).
LLAMA3_ADDED: tuple[str, ...] = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>",
    "<|reserved_special_token_2|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eom_id|>",
    "<|eot_id|>",
    "<|python_tag|>",
)

#: ChatML, as Qwen2.5 writes it (a default system message when none is given), written for
#: the tiny model; unknown roles are refused through ``raise_exception``.
CHATML_TEMPLATE = r"""{%- if messages[0].role != 'system' %}
    {{- '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role not in ('system', 'user', 'assistant') %}
        {{- raise_exception('unsupported role: ' + message.role) }}
    {%- endif %}
    {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"""

#: Meta-Llama-3-Instruct's published template (bos_token, header ids, trimmed content).
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)


def _train_byte_bpe(
    lines: Sequence[str], pattern: str, vocab_size: int, *, nfc: bool
) -> tuple[Any, dict[str, int], list[tuple[str, ...]]]:
    """A byte-level BPE trained here, with a published pre-tokenizer: (tokenizer, vocab,
    merges); the vocabulary holds the 256 byte symbols first."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.trainers import BpeTrainer

    tokenizer = Tokenizer(models.BPE())
    if nfc:
        tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(lines), trainer)
    model = json.loads(tokenizer.to_str())["model"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return tokenizer, dict(model["vocab"]), merges


def _causal_lm_options(vocab_size: int, seed_options: Mapping[str, Any]) -> dict[str, Any]:
    """The tiny size every decoder-only model shares (grouped-query attention, as published).

    Weights are drawn wider than transformers' default (0.02): with the default, a tiny
    model's logits are nearly flat and greedy search writes the same token whatever the
    prompt, which would make engine-parity tests pass without comparing anything."""
    return {
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "hidden_act": "silu",
        "tie_word_embeddings": True,
        "initializer_range": 0.3,
        **seed_options,
    }


def build_qwen2(
    out: Path, lines: Iterable[str], *, seed: int = 0, shape: Mapping[str, Any] | None = None
) -> Path:
    """A Qwen2.5-style chat model: byte-level BPE trained here, then Qwen2.5's 22 added tokens;
    eos ``<|im_end|>`` (and ``<|endoftext|>`` for generation), pad ``<|endoftext|>``, no bos
    in prompts; the embedding has rows beyond the tokenizer, as Qwen2.5's has (151936 for
    151665 tokens). A shape twin gets the published ids (fillers up to ``bos_token_id``) and
    bfloat16 weights, as published."""
    import torch
    from tokenizers import AddedToken
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM, Qwen2Tokenizer

    _, vocab, merges = _train_byte_bpe(list(lines), QWEN2_PATTERN, 600, nfc=True)
    options = _shape_options(shape)
    for filler in _fillers(options.get("bos_token_id", 0) - len(vocab)):
        vocab[filler] = len(vocab)
    for token, _ in QWEN2_ADDED:
        vocab[token] = len(vocab)
    tokenizer_options: dict[str, Any] = {
        "vocab": vocab,
        "merges": merges,
        "unk_token": None,
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "extra_special_tokens": [t for t, special in QWEN2_ADDED[1:] if special],
        "clean_up_tokenization_spaces": False,
        "split_special_tokens": False,
        "model_max_length": options.get("max_position_embeddings", 512),
    }
    tokenizer = Qwen2Tokenizer(**tokenizer_options)
    tokenizer.add_tokens([AddedToken(t, special=s, normalized=False) for t, s in QWEN2_ADDED])
    tokenizer.chat_template = CHATML_TEMPLATE
    endoftext, im_end = vocab["<|endoftext|>"], vocab["<|im_end|>"]
    padded = -(-len(vocab) // 64) * 64 + 64  # spare rows, as the published embedding has
    config_options = _causal_lm_options(
        padded,
        {
            "bos_token_id": endoftext,
            "eos_token_id": im_end,
            "rope_theta": 1_000_000.0,
            "rms_norm_eps": 1e-6,
            "use_sliding_window": False,
            "sliding_window": None,
            "max_window_layers": 2,
        },
    )
    dtype = torch.bfloat16 if shape else torch.float32
    if shape:
        config_options["initializer_range"] = 0.02  # the published value
    config_options.update(options, dtype=dtype)
    config = Qwen2Config(**config_options)
    torch.manual_seed(seed)
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # a twin's 1.5 B weights are made in bfloat16, not cast
    try:
        model: Any = Qwen2ForCausalLM(config)
    finally:
        torch.set_default_dtype(default_dtype)
    with torch.no_grad():  # spare rows are no tokens: never the model's choice
        model.get_input_embeddings().weight[len(tokenizer) :] = 0
    model.generation_config = GenerationConfig.from_dict(
        {
            "bos_token_id": endoftext,
            "pad_token_id": endoftext,
            "eos_token_id": [im_end, endoftext],
            "do_sample": True,
            "temperature": 0.7,
            "top_p": 0.8,
            "top_k": 20,
            "repetition_penalty": 1.1,
        }
    )
    return _save(model, tokenizer, out, {})


def build_llama(out: Path, lines: Iterable[str], *, seed: int = 0) -> Path:
    """A Llama-3-style chat model: byte-level BPE trained here, then Llama 3's first added
    tokens; the tokenizer puts ``<|begin_of_text|>`` before every encoded text (the chat
    template writes it too: encode rendered prompts without special tokens); eos
    ``<|eot_id|>`` (``<|end_of_text|>``, ``<|eom_id|>``, ``<|eot_id|>`` for generation); no
    pad; Llama 3.2's llama3 rope scaling and its 131072-token context."""
    import torch
    from tokenizers import AddedToken, processors
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    backend, vocab, _ = _train_byte_bpe(list(lines), LLAMA3_PATTERN, 600, nfc=False)
    first = len(vocab)
    added = [AddedToken(t, special=True, normalized=False) for t in LLAMA3_ADDED]
    backend.add_special_tokens(added)
    ids = {token: first + i for i, token in enumerate(LLAMA3_ADDED)}
    bos = "<|begin_of_text|>"
    backend.post_processor = processors.Sequence(
        [
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single=f"{bos} $A",
                pair=f"{bos} $A {bos}:1 $B:1",
                special_tokens=[(bos, ids[bos])],
            ),
        ]
    )
    fast: Any = PreTrainedTokenizerFast
    tokenizer = fast(
        tokenizer_object=backend,
        bos_token=bos,
        eos_token="<|eot_id|>",
        clean_up_tokenization_spaces=False,
        model_max_length=131072,
    )
    tokenizer.chat_template = LLAMA3_TEMPLATE
    ends = [ids["<|end_of_text|>"], ids["<|eom_id|>"], ids["<|eot_id|>"]]
    config = LlamaConfig(
        **_causal_lm_options(
            len(tokenizer),
            {
                "bos_token_id": ids[bos],
                "eos_token_id": ends,
                "rope_theta": 500_000.0,
                "rope_scaling": {
                    "rope_type": "llama3",
                    "factor": 32.0,
                    "low_freq_factor": 1.0,
                    "high_freq_factor": 4.0,
                    "original_max_position_embeddings": 8192,
                },
                "rms_norm_eps": 1e-5,
                "head_dim": 8,
                # Llama 3.2's rope scaling, which CTranslate2's converter reads with its
                # original 8192 positions fixed: the context must be longer than that
                "max_position_embeddings": 131072,
            },
        )
    )
    torch.manual_seed(seed)
    model: Any = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig.from_dict(
        {
            "bos_token_id": ids[bos],
            "eos_token_id": ends,
            "do_sample": True,
            "temperature": 0.6,
            "top_p": 0.9,
        }
    )
    return _save(model, tokenizer, out, {})


def build_tiny_models(
    root: Path, lines: Sequence[str] | None = None, names: Iterable[str] | None = None
) -> dict[str, Path]:
    """Build the tiny MarianMT, BART, T5, Qwen2 and Llama (or only ``names``) under ``root``;
    reuse them if already there."""
    lines = list(lines) if lines is not None else default_corpus()
    random.Random(0).shuffle(lines)
    builders: dict[str, Callable[[Path, Sequence[str]], Path]] = {
        "marian": build_marian,
        "bart": build_bart,
        "t5": build_t5,
        "qwen2": build_qwen2,
        "llama": build_llama,
    }
    wanted = set(builders) if names is None else set(names)
    paths = {name: root / name for name in builders if name in wanted}
    for name, path in paths.items():
        if not (path / "config.json").is_file():
            builders[name](path, lines)
    return paths
