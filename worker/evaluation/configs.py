"""One evaluation configuration: a few overrides of the worker's settings.

``--model``, ``--engine``, ``--compute``, ``--beams``, ``--device`` and ``--threads`` become
fields of :class:`~worker.settings.Settings` (on top of the ``TARJAMA_*`` environment), so
the evaluated worker is exactly the one those settings would start. An override whose
setting this version does not have is refused by name, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from tarjama.worker.errors import ConfigurationError
from tarjama.worker.settings import Settings, load_settings
from tarjama.worker.stages import ModelKey, stage_for

#: What is evaluated: a stage's model (``tarjama evaluate translation``, ``… summary``).
Task = ModelKey


@dataclass(frozen=True)
class EvalConfig:
    """A labelled configuration; ``None`` means: as the settings say."""

    label: str = "A"
    model: str | None = None
    engine: str | None = None
    compute: str | None = None
    beams: int | None = None
    device: str | None = None
    threads: int | None = None

    def changed(self, label: str, options: dict[str, Any]) -> EvalConfig:
        """This configuration with the options given (not None) applied; others are ignored."""
        names = {f.name for f in fields(self)} - {"label"}
        given = {k: v for k, v in options.items() if k in names and v is not None}
        return replace(self, label=label, **given)

    @property
    def flags(self) -> str:
        """The options that made it, as typed: ``--engine ctranslate2 --compute int8``."""
        given = [
            f"--{f.name} {getattr(self, f.name)}"
            for f in fields(self)
            if f.name != "label" and getattr(self, f.name) is not None
        ]
        return " ".join(given) or "(TARJAMA_* settings)"

    def settings_overrides(self, task: Task) -> dict[str, tuple[str, Any]]:
        """Setting name -> (the option that set it, value)."""
        wanted: dict[str, tuple[str, Any]] = {
            stage_for(task).model_setting: ("--model", self.model),
            "engine": ("--engine", self.engine),
            "compute_type": ("--compute", self.compute),
            "device": ("--device", self.device),
            "torch_threads": ("--threads", self.threads),
        }
        if task == "translation":  # summary beams belong to the style (see the runner)
            wanted["translation_beams"] = ("--beams", self.beams)
        return {name: given for name, given in wanted.items() if given[1] is not None}

    def settings(self, task: Task) -> Settings:
        """The worker's settings with this configuration's overrides; ConfigurationError if bad."""
        overrides = self.settings_overrides(task)
        for name, (option, value) in overrides.items():
            if name not in Settings.model_fields:
                raise ConfigurationError(
                    f"{option} {value}: this version of tarjama has no {name} setting "
                    f"(TARJAMA_{name.upper()}); leave {option} out"
                )
        return load_settings(**{name: value for name, (_, value) in overrides.items()})
