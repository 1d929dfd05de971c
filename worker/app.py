"""Builds the Celery app from settings. Nothing is loaded or connected at import.

``create_app(settings)`` is what the CLI, the client and the tests call. For the plain
Celery CLI (``celery -A tarjama.worker.app worker``), the module attribute ``app`` is created on
first access from the environment.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, signals

from tarjama.worker.errors import ConfigurationError
from tarjama.worker.priorities import base_queue, consumed_queues
from tarjama.worker.runtime import WorkerRuntime
from tarjama.worker.settings import Settings, load_settings
from tarjama.worker.stages import STAGES, Role, stages_of

log = logging.getLogger(__name__)

TASK_MODULES = (
    "tarjama.tasks.process_article",
    "tarjama.tasks.translate",
    "tarjama.tasks.summarize",
)


class TarjamaApp(Celery):  # type: ignore[misc]
    """A Celery app that carries tarjama's settings and the per-process runtime."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            "tarjama",
            broker=settings.broker,
            backend=settings.results,
            include=list(TASK_MODULES),
        )
        self.settings = settings
        self.runtime = WorkerRuntime(settings, lambda: self.backend.client)
        self.conf.update(celery_config(settings))

    def queues_for(self, role: Role) -> list[str]:
        return consumed_queues(self.settings, stages_of(role))


def celery_config(s: Settings) -> dict[str, Any]:
    # each task on its stage's queue (a job's priority picks a sibling queue when sent)
    routes = {task: {"queue": base_queue(s, stage)} for stage in STAGES for task in stage.tasks}
    return {
        # JSON only: a pickle (or any other) body is rejected, never executed.
        "task_serializer": "json",
        "result_serializer": "json",
        "event_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        # At-least-once: ack after the job, requeue if its process dies, one job at a time.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Flower sees every job: sent, received, started, progress, done.
        "task_track_started": True,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        # Limits nest: soft < hard < Redis visibility timeout (checked in Settings).
        "task_soft_time_limit": s.soft_time_limit,
        "task_time_limit": s.time_limit,
        "broker_transport_options": {
            "visibility_timeout": s.visibility_timeout,
            # sweep for jobs of vanished workers every few seconds, not every 100 s
            "unacked_restore_interval": max(1, min(10, s.visibility_timeout // 4)),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 5,
            "socket_keepalive": True,
            "health_check_interval": 25,
            # poll the queues in the order given (urgent first), not round robin
            "queue_order_strategy": "priority",
        },
        "result_backend_transport_options": {"visibility_timeout": s.visibility_timeout},
        "result_expires": s.result_ttl,
        # a Redis blip while storing a state or result is retried (exponential, ~20 s max)
        "result_backend_always_retry": True,
        "result_backend_max_retries": 10,
        "result_extended": False,  # the job's args are the whole article: not stored twice
        # Model loading happens in worker_process_init: give it time.
        "worker_proc_alive_timeout": 300.0,
        "worker_hijack_root_logger": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 3,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 2.0,
        },
        "redis_socket_connect_timeout": 5.0,
        "redis_retry_on_timeout": True,
        "task_routes": routes,
        "task_default_queue": s.translate_queue,
        "task_create_missing_queues": True,
        "enable_utc": True,
        "timezone": "UTC",
    }


def create_app(settings: Settings | None = None) -> TarjamaApp:
    app = TarjamaApp(settings or load_settings())

    @signals.worker_init.connect(weak=False)
    def _check_startup(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        try:
            styles = app.runtime.styles  # validates every style file
        except ConfigurationError as exc:
            log.critical("refusing to start: %s", exc.message)
            raise SystemExit(2) from exc
        log.info("summary styles: %s", ", ".join(styles.names))

    @signals.worker_process_init.connect(weak=False)
    def _start_process(sender: Any = None, **_: Any) -> None:
        from celery import current_app

        if current_app._get_current_object() is app:
            app.runtime.start_process(nodename=sender if isinstance(sender, str) else None)

    return app


def __getattr__(name: str) -> Any:
    """``worker.app.app``: the app built from the environment, on first access."""
    if name == "app":
        globals()["app"] = built = create_app()
        return built
    raise AttributeError(name)


def as_tarjama(app: Celery) -> TarjamaApp:
    if not isinstance(app, TarjamaApp):
        raise TypeError("tarjama tasks need an app built by worker.app.create_app()")
    return app
