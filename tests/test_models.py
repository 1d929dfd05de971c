"""Finding weights: a clear ModelUnavailable with a how-to when they cannot be had."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarjama.worker.errors import ModelUnavailable
from tarjama.worker.models.registry import ModelRegistry
from tarjama.worker.models.spec import ModelSpec
from tarjama.worker.models.weights import locate
from tarjama.worker.settings import load_settings
from tarjama.worker.stages import TRANSLATE


def _spec(name: str, tmp_path: Path, *, offline: bool = True) -> ModelSpec:
    return ModelSpec(TRANSLATE, name, None, tmp_path / "cache", offline)


def test_local_checkpoint_is_used_as_is(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    assert locate(_spec(str(tiny_models["marian"]), tmp_path)) == tiny_models["marian"]


def test_missing_local_path_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable) as caught:
        locate(_spec(str(tmp_path / "nowhere"), tmp_path))
    assert "does not exist" in caught.value.message
    assert "TARJAMA_TRANSLATION_MODEL" in caught.value.message


def test_directory_without_config_is_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailable) as caught:
        locate(_spec(str(tmp_path / "empty"), tmp_path))
    assert "no config.json" in caught.value.message


def test_offline_and_not_cached(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable) as caught:
        locate(_spec("Helsinki-NLP/opus-mt-ar-en", tmp_path, offline=True))
    message = caught.value.message
    assert "TARJAMA_OFFLINE" in message
    assert "tarjama models pull" in message


def test_hub_unreachable_fails_fast_with_a_how_to(tmp_path: Path) -> None:
    # This machine has no route to the Hub: the message must say so (and not retry for minutes)
    with pytest.raises(ModelUnavailable) as caught:
        locate(_spec("Helsinki-NLP/opus-mt-ar-en", tmp_path, offline=False))
    assert "cannot be reached" in caught.value.message or "downloaded" in caught.value.message


def test_registry_loads_once_and_records_load_time(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    settings = load_settings(
        translation_model=str(tiny_models["marian"]),
        summary_model=str(tiny_models["bart"]),
        model_cache_dir=tmp_path,
    )
    registry = ModelRegistry(settings)
    assert registry.loaded == []
    first = registry.translator()
    assert registry.translator() is first
    assert registry.loaded == ["translation"]
    assert registry.load_seconds["translation"] > 0
