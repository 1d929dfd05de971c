"""Producers do not pay for torch: the client imports neither torch nor transformers."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import tasks.client
from tasks.client import TarjamaClient
client = TarjamaClient()
client.app.loader.import_default_modules()
heavy = [m for m in ("torch", "transformers", "sentencepiece", "ctranslate2") if m in sys.modules]
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
        "import sys, tasks.process_article, tasks.translate, tasks.summarize;"
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False False"
