"""The engine's settings: defaults, what is refused, and how they size a worker."""

from __future__ import annotations

import os

import pytest

from tarjama.worker.errors import ConfigurationError
from tarjama.worker.settings import load_settings


def test_defaults_are_ctranslate2_int8_one_thread() -> None:
    settings = load_settings()
    assert (settings.engine, settings.compute_type) == ("ctranslate2", "int8")
    assert (settings.threads_per_process, settings.inter_threads) == (1, 1)


@pytest.mark.parametrize("compute_type", ["float16", "int8_float16"])
def test_gpu_compute_types_are_refused_on_cpu(compute_type: str) -> None:
    # Given a half-precision compute type on the CPU, Then start-up stops with a message
    # that names the variable, the value and what a CPU can use
    with pytest.raises(ConfigurationError, match="TARJAMA_COMPUTE_TYPE") as caught:
        load_settings(compute_type=compute_type, device="cpu")
    assert compute_type in caught.value.message
    assert "int8" in caught.value.message
    # while on CUDA it is allowed
    assert load_settings(compute_type=compute_type, device="cuda").compute_type == compute_type


def test_unknown_compute_type_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"TARJAMA_COMPUTE_TYPE.*int8_float32"):
        load_settings(compute_type="int4")


def test_processes_follow_the_engine_threads() -> None:
    # Given 2-thread processes, Then a worker runs cores // 2 of them, whichever engine
    cores = os.cpu_count() or 1
    expected = max(1, cores // 2)
    assert load_settings(engine="ctranslate2", intra_threads=2).worker_concurrency == expected
    assert load_settings(engine="transformers", torch_threads=2).worker_concurrency == expected
    # and CTranslate2's own setting wins over torch_threads, which is its default
    assert load_settings(torch_threads=2).threads_per_process == 2
    assert load_settings(torch_threads=2, intra_threads=1).threads_per_process == 1
    assert load_settings(engine="transformers", intra_threads=2).threads_per_process == 1
