"""Convert a Hugging Face checkpoint to CTranslate2 once, into the model cache.

:func:`ensure_converted` returns the converted model's directory, converting first if the
cache has none. The key is the model id, its revision, the compute type and a fingerprint
of the checkpoint's files (a local directory that is saved again is converted again).

The conversion itself (:mod:`.converter`) runs in a child process: it needs torch and
transformers and about four times the int8 model's size in memory, none of which a
CTranslate2 worker process should keep, and the Celery parent must never import torch. A
lock file makes concurrent starts wait for one conversion; the result is written to a
temporary directory and renamed into place, so no process ever sees half a model.

This module imports neither torch nor ctranslate2.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tarjama.worker.errors import ModelUnavailable
from tarjama.worker.models.ctranslate2.manifest import FORMAT, MANIFEST
from tarjama.worker.models.spec import ModelSpec

log = logging.getLogger(__name__)

_LOCK_WAIT_S = 1800.0


def _slug(name: str) -> str:
    tail = "/".join(Path(name).expanduser().parts[-2:])
    return re.sub(r"[^A-Za-z0-9._-]+", "--", tail).strip("-.") or "model"


def checkpoint_fingerprint(checkpoint: Path) -> str:
    """Path, names, sizes and modification times of the checkpoint's files."""
    digest = hashlib.sha256(f"{FORMAT}|{checkpoint.resolve()}".encode())
    for path in sorted(p for p in checkpoint.iterdir() if p.is_file()):
        stat = path.stat()
        digest.update(f"|{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


def content_digest(checkpoint: Path, sample: int = 65536) -> str:
    """Names, sizes and sampled bytes (start, middle, end) of the checkpoint's files.

    Unlike :func:`checkpoint_fingerprint` it ignores paths and times, so every host that
    holds the same checkpoint computes the same digest (sentence-cache keys are shared).
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in checkpoint.iterdir() if p.is_file()):
        size = path.stat().st_size
        digest.update(f"|{path.name}:{size}".encode())
        with path.open("rb") as handle:
            for offset in sorted({0, max(0, size // 2 - sample // 2), max(0, size - sample)}):
                handle.seek(offset)
                digest.update(handle.read(sample))
    return digest.hexdigest()[:12]


def converted_dir(spec: ModelSpec, checkpoint: Path, compute_type: str) -> Path:
    """Where the CTranslate2 copy of this checkpoint lives in the model cache."""
    revision = re.sub(r"[^A-Za-z0-9._-]+", "-", spec.revision or "default")
    name = f"{_slug(spec.name)}--{revision}--{compute_type}--{checkpoint_fingerprint(checkpoint)}"
    return spec.cache_dir / "ct2" / name


def is_converted(directory: Path) -> bool:
    return (directory / "model.bin").is_file() and (directory / MANIFEST).is_file()


@contextlib.contextmanager
def _locked(lock_path: Path, timeout: float = _LOCK_WAIT_S) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ModelUnavailable(
                        f"waited {timeout:.0f}s for another process converting into "
                        f"{lock_path.parent}; if none is running, delete {lock_path}"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_converted(spec: ModelSpec, checkpoint: Path, compute_type: str) -> Path:
    """The converted model's directory; converts (in a child process) if not cached yet."""
    target = converted_dir(spec, checkpoint, compute_type)
    if is_converted(target):
        return target
    with _locked(target.with_name(target.name + ".lock")):
        if is_converted(target):  # another process converted it while we waited
            return target
        started = time.perf_counter()
        log.info(
            "converting %s model %s to CTranslate2 (%s)", spec.stage.model, spec.name, compute_type
        )
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            _run_converter(spec, checkpoint, tmp, compute_type)
            shutil.rmtree(target, ignore_errors=True)  # leftovers of a conversion by hand
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("converted %s into %s in %.1fs", spec.name, target, time.perf_counter() - started)
    return target


def _run_converter(spec: ModelSpec, checkpoint: Path, out: Path, compute_type: str) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [
        sys.executable,
        "-m",
        "tarjama.worker.models.ctranslate2.converter",
        str(checkpoint),
        str(out),
    ]
    done = subprocess.run(
        [*command, compute_type], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-6:])
        raise ModelUnavailable(
            f"{spec.stage.model} model {spec.name!r} at {checkpoint} could not be converted to "
            f"CTranslate2 ({compute_type}): {tail or f'exit code {done.returncode}'}. "
            "Use TARJAMA_ENGINE=transformers for models CTranslate2 does not support."
        )
