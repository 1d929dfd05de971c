"""Fault injection for the fault-tolerance tests. TEST ONLY: inert unless configured.

``TARJAMA_FAULT_INJECTION=kill:<marker>`` makes a worker process SIGKILL itself when a job's
text contains ``<marker>``: a stand-in for input that crashes a native library every time
(a poison job), so the tests can show such a job ends as a stored ``worker_lost`` failure
after ``TARJAMA_MAX_DELIVERIES`` deliveries instead of looping forever.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)
KINDS = ("kill",)


def check_spec(spec: str | None) -> str | None:
    if spec is None:
        return None
    kind, _, marker = spec.partition(":")
    if kind not in KINDS or not marker:
        raise ValueError("must look like kill:<marker> (test only)")
    return spec


def maybe_inject(spec: str | None, text: str) -> None:
    if not spec:
        return
    kind, _, marker = spec.partition(":")
    if kind == "kill" and marker in text:
        log.error("fault injection: killing worker process %s (marker %r)", os.getpid(), marker)
        os.kill(os.getpid(), signal.SIGKILL)
