"""The public job API: one module per task. Tasks are thin; the work is in ``worker/``.

Producers do not import these modules: they use :mod:`tasks.client` (no torch).
"""
