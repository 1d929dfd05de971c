"""The engine room: settings, the Celery app, the pipeline, engines, Redis keys, the CLI.

Importing it loads nothing and connects to nothing.
"""
