"""The reference engine: Hugging Face transformers ``AutoModelForSeq2SeqLM.generate``.

Imports torch: only ever import this module inside a worker process, after the fork.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from tarjama.worker.engines import (
    BUDGET_RULE,
    Decoding,
    ModelInfo,
    check_input_lengths,
    translation_budget,
)
from tarjama.worker.errors import ModelUnavailable, ResourceExhausted

if TYPE_CHECKING:
    from tarjama.worker.models import ModelSpec
    from tarjama.worker.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_INPUT_LIMIT = 512


def model_family(config: Any) -> str:
    """The template family of a model: its ``model_type``, with FLAN-T5 told apart from T5."""
    family = str(getattr(config, "model_type", "default"))
    if family == "t5" and "flan" in str(getattr(config, "name_or_path", "")).lower():
        return "flan-t5"
    return family


def input_limit(config: Any, tokenizer: PreTrainedTokenizerBase) -> int:
    """Longest input the model accepts, read from its config (512 for MarianMT, 1024 BART)."""
    for attr in ("max_position_embeddings", "n_positions"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < 100_000 else DEFAULT_INPUT_LIMIT


def generation_digest(model: Any) -> str:
    """A digest of the model's own generation defaults (bad words, length penalty, ...)."""
    config = {
        key: value
        for key, value in model.generation_config.to_dict().items()
        if key != "transformers_version" and not key.startswith("_")
    }
    canonical = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def weights_digest(model: Any) -> str:
    """A digest of the loaded weights: names, shapes and a few values of every tensor.

    Tells two checkpoints behind the same id apart (a local path whose files were replaced,
    a Hub branch that moved), so the sentence cache never mixes their translations.
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        flat = tensor.detach().reshape(-1)
        middle = flat.numel() // 2
        sample = torch.cat([flat[:8], flat[middle : middle + 8], flat[-8:]])
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
        digest.update(sample.to(torch.float32).cpu().numpy().tobytes())
    return digest.hexdigest()[:12]


def _device(settings: Settings) -> torch.device:
    if settings.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(settings.device)


def _load(spec: ModelSpec, path: Path, settings: Settings) -> tuple[Any, Any, torch.device]:
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # not in worker logs
    torch.set_num_threads(settings.torch_threads)
    device = _device(settings)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        has_safetensors = any(path.glob("*.safetensors"))
        model = AutoModelForSeq2SeqLM.from_pretrained(
            path,
            trust_remote_code=False,
            use_safetensors=True if has_safetensors else None,
            dtype=torch.float16 if device.type == "cuda" else torch.float32,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailable(
            f"{spec.role} model {spec.name!r} at {path} could not be loaded: {exc}"
        ) from exc
    model.eval().to(device)
    return tokenizer, model, device


def _generate(model: Any, encoded: Any, **kwargs: Any) -> Any:
    try:
        with torch.inference_mode():
            return model.generate(**encoded, **kwargs)
    except torch.OutOfMemoryError as exc:  # retried: another process may hold the memory
        raise ResourceExhausted(f"out of memory during generation: {exc}") from exc


class TransformersTranslator:
    """Translates sentences in length-sorted batches, one ``generate`` call per batch."""

    def __init__(
        self, tokenizer: Any, model: Any, device: torch.device, info: ModelInfo, settings: Settings
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.device = device
        self.info = info
        self.num_beams = settings.translation_beams
        self.batch_tokens = settings.translation_batch_tokens
        self.max_input_tokens = input_limit(model.config, tokenizer)
        self._checkpoint = f"gen={generation_digest(model)};weights={weights_digest(model)}"

    @property
    def decoding_fingerprint(self) -> str:
        """Beams, the output budget, the model's generation defaults, and its weights."""
        return f"beams={self.num_beams};{BUDGET_RULE};{self._checkpoint}"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(ids) for ids in self.tokenizer(list(texts))["input_ids"]]

    def max_new_tokens(self, source_tokens: int) -> int:
        return translation_budget(source_tokens, self.max_input_tokens)

    def _batches(self, order: list[int], lengths: list[int]) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in order:
            # padded batch cost: longest length x rows (order is ascending, so this one)
            if batch and lengths[index] * (len(batch) + 1) > self.batch_tokens:
                yield batch
                batch = []
            batch.append(index)
        if batch:
            yield batch

    def translate(
        self, sentences: Sequence[str], on_progress: Callable[[int], None] | None = None
    ) -> list[str]:
        lengths = self.count_tokens(sentences)
        check_input_lengths(lengths, self.max_input_tokens)
        order = sorted(range(len(sentences)), key=lambda i: lengths[i])
        out: list[str] = [""] * len(sentences)
        done = 0
        for batch in self._batches(order, lengths):
            encoded = self.tokenizer(
                [sentences[i] for i in batch], return_tensors="pt", padding=True
            ).to(self.device)
            generated = _generate(
                self.model,
                encoded,
                num_beams=self.num_beams,
                max_new_tokens=self.max_new_tokens(max(lengths[i] for i in batch)),
            )
            texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
            for i, text in zip(batch, texts, strict=True):
                out[i] = text.strip()
            done += len(batch)
            if on_progress:
                on_progress(done)
        return out


class TransformersSummarizer:
    def __init__(self, tokenizer: Any, model: Any, device: torch.device, info: ModelInfo) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.device = device
        self.info = info
        self.max_input_tokens = input_limit(model.config, tokenizer)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def summarize(self, prompt: str, decoding: Decoding) -> str:
        encoded = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        check_input_lengths([encoded["input_ids"].shape[1]], self.max_input_tokens)
        generated = _generate(
            self.model,
            encoded,
            num_beams=decoding.num_beams,
            max_new_tokens=decoding.max_new_tokens,
            min_new_tokens=decoding.min_new_tokens,
            length_penalty=decoding.length_penalty,
            no_repeat_ngram_size=decoding.no_repeat_ngram_size,
            early_stopping=True,
        )
        return str(self.tokenizer.decode(generated[0], skip_special_tokens=True)).strip()


def _info(spec: ModelSpec, model: Any, device: torch.device) -> ModelInfo:
    return ModelInfo(
        id=spec.name,
        revision=spec.revision,
        engine="transformers",
        family=model_family(model.config),
        compute_type="float16" if device.type == "cuda" else "float32",
    )


def load_translator(spec: ModelSpec, path: Path, settings: Settings) -> TransformersTranslator:
    tokenizer, model, device = _load(spec, path, settings)
    return TransformersTranslator(tokenizer, model, device, _info(spec, model, device), settings)


def load_summarizer(spec: ModelSpec, path: Path, settings: Settings) -> TransformersSummarizer:
    tokenizer, model, device = _load(spec, path, settings)
    return TransformersSummarizer(tokenizer, model, device, _info(spec, model, device))
