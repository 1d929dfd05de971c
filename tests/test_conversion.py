"""Convert once into the model cache: keyed, reused, atomic, safe under concurrent starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tarjama.worker.errors import ModelUnavailable
from tarjama.worker.models.ctranslate2.conversion import (
    converted_dir,
    ensure_converted,
    is_converted,
)
from tarjama.worker.models.ctranslate2.manifest import Manifest
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.stages import SUMMARIZE, TRANSLATE
from tests.helpers import settings_from_env

REPO = Path(__file__).resolve().parents[1]
# Run in a fresh interpreter, as two worker processes starting at once would.
CONVERT_SNIPPET = """
import logging, sys
from pathlib import Path
from tests.helpers import settings_from_env
from tarjama.worker.models.ctranslate2.conversion import ensure_converted
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.stages import TRANSLATE
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
settings = settings_from_env({"TARJAMA_TRANSLATION_MODEL": sys.argv[1],
                              "TARJAMA_MODEL_CACHE_DIR": sys.argv[2]})
spec = ModelSpec.for_stage(TRANSLATE, settings)
print(ensure_converted(spec, Path(spec.name), "int8"))
"""


def _spec(model: Path, cache: Path) -> ModelSpec:
    settings = settings_from_env(
        {"TARJAMA_TRANSLATION_MODEL": str(model), "TARJAMA_MODEL_CACHE_DIR": str(cache)}
    )
    return ModelSpec.for_stage(TRANSLATE, settings)


def test_two_processes_starting_at_once_convert_once(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    # Given an empty model cache and two processes that need the same converted model
    cache = tmp_path / "cache"
    command = [sys.executable, "-c", CONVERT_SNIPPET, str(tiny_models["marian"]), str(cache)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # When both start at the same moment
    procs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=240) for proc in procs]
    # Then both get the same, complete directory, and only one of them converted
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    dirs = {out.strip() for out, _ in outputs}
    assert len(dirs) == 1
    target = Path(dirs.pop())
    assert is_converted(target)
    assert sum("converting translation model" in err for _, err in outputs) == 1
    # and nothing half-written is left beside it
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert all(name.endswith(".lock") for name in leftovers), leftovers


def test_cache_key_and_reuse(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    # Given a local checkpoint (a copy we may touch) converted once
    model = tmp_path / "marian"
    shutil.copytree(tiny_models["marian"], model)
    spec = _spec(model, tmp_path / "cache")
    first = ensure_converted(spec, model, "int8")
    stamp = (first / "model.bin").stat().st_mtime_ns
    # When it is asked for again, Then the same directory is reused, not converted again
    assert ensure_converted(spec, model, "int8") == first
    assert (first / "model.bin").stat().st_mtime_ns == stamp
    manifest = Manifest.read(first)
    assert (manifest.compute_type, manifest.family, manifest.tokenizer) == (
        "int8",
        "marian",
        "marian",
    )
    # When another compute type is asked for, Then it has its own directory
    assert converted_dir(spec, model, "float32") != first
    # When the checkpoint is saved again (its weights change), Then the key changes too
    weights = model / "model.safetensors"
    os.utime(weights, ns=(stamp, weights.stat().st_mtime_ns + 1_000_000_000))
    assert converted_dir(spec, model, "int8") != first


def test_bart_config_without_layout_keys_converts(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    # Given the tiny BART, saved by a transformers whose BartConfig lacks the keys that
    # ctranslate2's BART converter reads (normalize_before, normalize_embedding, ...)
    config = (tiny_models["bart"] / "config.json").read_text()
    assert "normalize_before" not in config
    settings = settings_from_env(
        {
            "TARJAMA_SUMMARY_MODEL": str(tiny_models["bart"]),
            "TARJAMA_MODEL_CACHE_DIR": str(tmp_path),
        }
    )
    spec = ModelSpec.for_stage(SUMMARIZE, settings)
    # When it is converted, Then it converts, with BART's decoding rules in the manifest
    manifest = Manifest.read(ensure_converted(spec, tiny_models["bart"], "int8"))
    assert manifest.model_type == "bart"
    assert manifest.target_prefix == ["<s>"]
    assert manifest.forced_eos


def test_unconvertible_checkpoint_is_model_unavailable(tmp_path: Path) -> None:
    # Given a directory that claims to be a checkpoint but has no weights
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "marian", "vocab_size": 10}')
    spec = _spec(broken, tmp_path / "cache")
    # When it is converted, Then the error names the model and what to do, and no
    # converted directory (whole or partial) is left in the cache
    with pytest.raises(ModelUnavailable, match="could not be converted") as caught:
        ensure_converted(spec, broken, "int8")
    assert str(broken) in caught.value.message
    assert "TARJAMA_ENGINE=transformers" in caught.value.message
    assert not is_converted(converted_dir(spec, broken, "int8"))
    ct2_dir = tmp_path / "cache" / "ct2"
    assert [p.name for p in ct2_dir.iterdir() if not p.name.endswith(".lock")] == []


def test_models_pull_converts_ahead_of_time(base_env: dict[str, str], tmp_path: Path) -> None:
    # Given a fresh model cache and the default engine
    env = {**os.environ, **base_env, "TARJAMA_MODEL_CACHE_DIR": str(tmp_path / "cache")}
    # When `tarjama models pull` runs
    done = subprocess.run(
        [sys.executable, "-m", "tarjama.worker.cli", "models", "pull"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    # Then both models are converted into the cache, and it says where
    assert done.returncode == 0, done.stderr
    converted = sorted((tmp_path / "cache" / "ct2").glob("*--int8--*"))
    assert len([p for p in converted if is_converted(p)]) == 2
    for path in converted:
        if is_converted(path):
            assert str(path) in done.stdout
