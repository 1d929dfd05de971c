"""The public job API: the producer's client and one module per task.

Producers import what they need from here; nothing here imports torch::

    from tarjama.tasks import TarjamaClient

Tasks are thin (the work is in ``tarjama.worker``); each module registers one public task.
"""

from tarjama.tasks.client import JobStatus, Submission, SubmitError, TarjamaClient

__all__ = ["JobStatus", "Submission", "SubmitError", "TarjamaClient"]
