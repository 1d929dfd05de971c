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


def layout_paths() -> list[str]:
    """The files and folders the README's Layout block names, as repository paths.

    A name at column 0 is at the top; one indented two spaces more than a folder is in it;
    lines indented further (a description's continuation) name nothing.
    """
    block = README.split("## Layout", 1)[1].split("```", 2)[1]
    parents: list[str] = []
    paths = []
    for line in block.splitlines():
        names, _, description = line.strip().partition("  ")
        depth, extra = divmod(len(line) - len(line.lstrip()), 2)
        if not names or extra or depth > len(parents) or not description.strip():
            continue
        del parents[depth:]
        for name in names.split(", "):
            paths.append("".join(parents) + name)
        if names.endswith("/"):
            parents.append(names)
    return paths


def test_the_layout_names_only_what_exists() -> None:
    # Given the modules and folders the README's Layout section lists
    paths = layout_paths()
    assert "worker/models/ctranslate2/" in paths
    assert "worker/stages.py" in paths
    # Then each of them exists (a moved module is moved in the README too)
    repo = Path(__file__).resolve().parents[1]
    assert [path for path in paths if not (repo / path).exists()] == []
