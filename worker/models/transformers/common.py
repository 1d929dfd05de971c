"""What every transformers path shares: loading a checkpoint, the device, ``generate``.

Also what tarjama reads from a loaded checkpoint: its template family, its input limit and
digests of its generation defaults and weights (sentence-cache keys). The CTranslate2
converter reads the same through this module. Imports torch: worker processes only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from tarjama.worker.errors import ModelUnavailable, ResourceExhausted
from tarjama.worker.models.engine import ModelInfo
from tarjama.worker.models.spec import ModelSpec

if TYPE_CHECKING:
    from tarjama.worker.settings import Settings

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


def device_for(settings: Settings) -> torch.device:
    if settings.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(settings.device)


def load_checkpoint(
    spec: ModelSpec, path: Path, settings: Settings, auto_class: Any
) -> tuple[Any, Any, torch.device]:
    """The tokenizer and the model (an ``AutoModelFor…`` class), in eval mode on the device."""
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # not in worker logs
    torch.set_num_threads(settings.torch_threads)
    device = device_for(settings)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        has_safetensors = any(path.glob("*.safetensors"))
        model = auto_class.from_pretrained(
            path,
            trust_remote_code=False,
            use_safetensors=True if has_safetensors else None,
            dtype=torch.float16 if device.type == "cuda" else torch.float32,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailable(
            f"{spec.stage.model} model {spec.name!r} at {path} could not be loaded: {exc}"
        ) from exc
    model.eval().to(device)
    return tokenizer, model, device


def generate(model: Any, encoded: Any, **kwargs: Any) -> Any:
    try:
        with torch.inference_mode():
            return model.generate(**encoded, **kwargs)
    except torch.OutOfMemoryError as exc:  # retried: another process may hold the memory
        raise ResourceExhausted(f"out of memory during generation: {exc}") from exc


def model_info(spec: ModelSpec, model: Any, device: torch.device) -> ModelInfo:
    return ModelInfo(
        id=spec.name,
        revision=spec.revision,
        engine="transformers",
        family=model_family(model.config),
        compute_type="float16" if device.type == "cuda" else "float32",
    )
