"""Which weights a stage's model comes from: :class:`ModelSpec`.

A leaf of the model lifecycle: it imports only the stage vocabulary (and the settings'
type), so every module of ``worker/models/`` may import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tarjama.worker.stages import Stage

if TYPE_CHECKING:
    from tarjama.worker.settings import Settings


@dataclass(frozen=True)
class ModelSpec:
    stage: Stage
    #: A Hugging Face Hub id or a local directory.
    name: str
    revision: str | None
    cache_dir: Path
    offline: bool

    @classmethod
    def for_stage(cls, stage: Stage, settings: Settings) -> ModelSpec:
        """The stage's model as the settings name it (``TARJAMA_TRANSLATION_MODEL`` …)."""
        name: str = getattr(settings, stage.model_setting)
        revision: str | None = getattr(settings, stage.revision_setting)
        return cls(stage, name, revision, settings.model_cache_dir, settings.offline)

    @property
    def env_var(self) -> str:
        """The variable that names it: ``TARJAMA_TRANSLATION_MODEL``."""
        return f"TARJAMA_{self.stage.model_setting.upper()}"

    @property
    def is_local(self) -> bool:
        return (
            self.name.startswith(("/", "./", "../", "~")) or Path(self.name).expanduser().is_dir()
        )

    @property
    def hub_cache(self) -> Path:
        return self.cache_dir / "hf"
