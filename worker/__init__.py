"""The engine room: settings, the Celery app, the pipeline, the models, Redis keys, the CLI.

Importing it loads nothing and connects to nothing.
"""
