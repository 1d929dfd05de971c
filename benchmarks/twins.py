"""Shape twins: the published architectures (``shapes/*.json``) with random weights.

Built once into ``TARJAMA_MODEL_CACHE_DIR/shape-twins`` (about 1.5 GB) with a tokenizer
trained on the sample article whose vocabulary is padded to the model's, so the twins load
and convert like the published checkpoints.

For the end-to-end run, random outputs must stay text-like: a bias on the output layer makes
the twins pick the tokenizer's trained pieces, not its fillers (which decode to long
``<filler_N>`` strings that would swell the summarizer's input ten times). The table's rows
force their lengths and are not affected.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

SHAPES_DIR = Path(__file__).resolve().parent / "shapes"
TRANSLATION = "opus-mt-ar-en"
SUMMARY = "distilbart-cnn-12-6"
#: The instruction-tuned summarizer's shape (decoder-only; its rows come with issue 15's part 2).
CHAT_SUMMARY = "qwen2.5-1.5b-instruct"
#: Bump when the recipe changes: twins built by an older one are built again.
RECIPE = 2
TRAINED_PIECE_BIAS = 5.0


def load_shape(name: str) -> dict[str, Any]:
    shape: dict[str, Any] = json.loads((SHAPES_DIR / f"{name}.json").read_text("utf-8"))
    return shape


def twin_dir(cache_dir: Path, name: str) -> Path:
    recipe = f"{RECIPE}|".encode() + (SHAPES_DIR / f"{name}.json").read_bytes()
    digest = hashlib.sha256(recipe).hexdigest()[:10]
    return cache_dir / "shape-twins" / f"{name}-{digest}"


def ensure_twin(cache_dir: Path, name: str) -> Path:
    """The twin's checkpoint directory, built (atomically) if missing."""
    from tarjama.worker.tiny_models import build_bart, build_marian, build_qwen2, default_corpus

    target = twin_dir(cache_dir, name)
    if (target / "config.json").is_file():
        return target
    shape = load_shape(name)
    builders = {"marian": build_marian, "bart": build_bart, "qwen2": build_qwen2}
    build = builders[shape["model_type"]]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build(tmp, default_corpus(), shape=shape)
        if shape["model_type"] == "qwen2":
            silence_untrained_rows(tmp)
        else:
            _prefer_trained_pieces(tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _prefer_trained_pieces(path: Path) -> None:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path)
    special = set(tokenizer.all_special_tokens)
    trained = [
        index
        for token, index in tokenizer.get_vocab().items()
        if not token.startswith("<filler_") and token not in special
    ]
    with torch.no_grad():
        model.final_logits_bias[0, trained] += TRAINED_PIECE_BIAS
    model.save_pretrained(path)


def silence_untrained_rows(path: Path) -> None:
    """A decoder-only twin ties its output layer to its embedding: zero rows for the filler
    tokens and the spare rows past the tokenizer make their logits 0, so the random model
    picks trained pieces (and added tokens), and its text stays text-like."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model: Any = AutoModelForCausalLM.from_pretrained(path, dtype="auto")
    vocab = tokenizer.get_vocab()
    fillers = [index for token, index in vocab.items() if token.startswith("<filler_")]
    with torch.no_grad():
        weights = model.get_input_embeddings().weight
        weights[fillers] = 0
        weights[len(tokenizer) :] = 0
    model.save_pretrained(path)
