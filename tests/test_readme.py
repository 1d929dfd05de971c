"""README stays true to the code: every setting documented, the two commands present."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarjama.worker.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(name: str) -> None:
    assert f"`TARJAMA_{name.upper()}" in README


def test_the_two_commands_come_first() -> None:
    first = README.index("make demo")
    assert first < README.index("make test") < README.index("## Using it")
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci
