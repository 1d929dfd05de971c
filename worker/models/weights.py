"""Finding weights: a Hub id or a local path to a local checkpoint directory.

:func:`locate` downloads into the model cache when allowed and says how to fix it when the
weights cannot be had. It imports no torch, so the CLI runs it in the parent process before
forking (a pre-flight that refuses to start a worker with no weights).
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from urllib.parse import urlsplit

from tarjama.worker.errors import ModelUnavailable
from tarjama.worker.models.spec import ModelSpec

log = logging.getLogger(__name__)

#: Files a checkpoint needs; weights are picked separately (safetensors first).
_CONFIG_PATTERNS = ["*.json", "*.spm", "*.model", "*.txt", "vocab.*", "merges.txt"]


def _how_to_fix(spec: ModelSpec) -> str:
    return (
        f"To fix: on a machine with network run `tarjama models pull` (it downloads into "
        f"TARJAMA_MODEL_CACHE_DIR={spec.cache_dir}) and copy that directory here; or "
        f"download the model yourself and set {spec.env_var}=/path/to/model/dir; "
        "to see the plumbing without real weights run `tarjama demo --tiny`."
    )


def _hub_reachable(timeout: float = 3.0) -> bool:
    from huggingface_hub import constants

    url = urlsplit(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=timeout):
            return True
    except OSError:
        return False


def _check_checkpoint_dir(spec: ModelSpec, path: Path) -> Path:
    if not (path / "config.json").is_file():
        raise ModelUnavailable(
            f"{spec.stage.model} model directory {path} has no config.json; it is not a "
            f"Hugging Face checkpoint. {_how_to_fix(spec)}"
        )
    return path


def locate(spec: ModelSpec) -> Path:
    """Return a local directory holding the checkpoint, downloading it if allowed.

    Downloads show the Hub's progress bars; later calls find the copy in the model cache.
    """
    what = spec.stage.model
    if spec.is_local:
        path = Path(spec.name).expanduser()
        if not path.is_dir():
            raise ModelUnavailable(f"{what} model path {path} does not exist. {_how_to_fix(spec)}")
        return _check_checkpoint_dir(spec, path)

    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        cached = snapshot_download(
            spec.name, revision=spec.revision, cache_dir=spec.hub_cache, local_files_only=True
        )
        return _check_checkpoint_dir(spec, Path(cached))
    except (LocalEntryNotFoundError, FileNotFoundError, ModelUnavailable):
        pass
    if spec.offline:
        raise ModelUnavailable(
            f"{what} model {spec.name!r} is not in the model cache "
            f"({spec.hub_cache}) and TARJAMA_OFFLINE is on. {_how_to_fix(spec)}"
        )
    if not _hub_reachable():
        raise ModelUnavailable(
            f"{what} model {spec.name!r} is not in the model cache ({spec.hub_cache}) "
            f"and the Hugging Face Hub cannot be reached from here. {_how_to_fix(spec)}"
        )
    try:
        files = HfApi().list_repo_files(spec.name, revision=spec.revision)
        weights = (
            ["*.safetensors"]
            if any(f.endswith(".safetensors") for f in files)
            else ["pytorch_model.bin"]
        )
        log.info("downloading %s model %s into %s", what, spec.name, spec.hub_cache)
        downloaded = snapshot_download(
            spec.name,
            revision=spec.revision,
            cache_dir=spec.hub_cache,
            allow_patterns=_CONFIG_PATTERNS + weights,
        )
    except (HfHubHTTPError, OSError) as exc:
        raise ModelUnavailable(
            f"{what} model {spec.name!r} could not be downloaded: {exc}. {_how_to_fix(spec)}"
        ) from None
    return _check_checkpoint_dir(spec, Path(downloaded))
