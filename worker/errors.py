"""The exception hierarchy, and the codes that reach stored results.

Every job ends in a stored result. A failed job is stored by Celery as a ``FAILURE`` whose
exception is :class:`JobFailed` with ``args == [code, message]``, so any language reads
``result.exc_message[0]`` as the machine-readable code and ``[1]`` as the human message.

Errors split into permanent ones (bad input, missing model: never retried) and transient
ones (Redis down, out of memory: retried with capped backoff).
"""

from __future__ import annotations

from typing import ClassVar


class TarjamaError(Exception):
    """Base of every error tarjama raises on purpose."""

    code: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False
    #: False for errors of commands that never run as a job (their code is never stored)
    stored: ClassVar[bool] = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(TarjamaError):
    """Bad settings or prompt files: the process refuses to start."""

    code = "configuration_error"


class InvalidTestSet(TarjamaError):
    """A ``tarjama evaluate`` data file that cannot be used; the message lists the bad lines."""

    code = "invalid_test_set"
    stored = False


class FailoverFailed(TarjamaError):
    """``tarjama failover`` could not switch the Redis master; the message says where."""

    code = "failover_failed"
    stored = False


class InvalidArticle(TarjamaError):
    """The job's input is not a usable article (missing/empty text, wrong types)."""

    code = "invalid_article"


class ArticleTooLarge(TarjamaError):
    code = "article_too_large"


class UnknownStyle(TarjamaError):
    code = "unknown_style"


class UnsupportedLanguage(TarjamaError):
    """The article is not Arabic (detected, or said so by its ``source_language``): it is
    not translated. The message names the language and the detector's confidence."""

    code = "unsupported_language"


class ModelUnavailable(TarjamaError):
    """Weights cannot be loaded: not cached, offline, or a bad path. The message says how to fix."""

    code = "model_unavailable"


class JobTimeout(TarjamaError):
    code = "timeout"


class WorkerLost(TarjamaError):
    """The job's process died on it too many times (a poison job)."""

    code = "worker_lost"


class TransientError(TarjamaError):
    """Worth retrying: the same job may succeed later."""

    code = "transient_error"
    retryable = True


class BackendUnavailable(TransientError):
    code = "redis_unavailable"


class ResourceExhausted(TransientError):
    code = "out_of_memory"


class JobFailed(Exception):
    """The stored form of every failure: ``JobFailed(code, message)``.

    Kept free of other state so that Celery can rebuild it from JSON in any client that
    imports this module (and a generic exception in those that do not).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    @classmethod
    def from_error(cls, error: TarjamaError) -> JobFailed:
        return cls(error.code, error.message)


#: Codes for failures that Celery itself stores (not through JobFailed).
CELERY_FAILURE_CODES: dict[str, str] = {
    "TimeLimitExceeded": "timeout",
    "SoftTimeLimitExceeded": "timeout",
    "WorkerLostError": "worker_lost",
    "NotRegistered": "unknown_task",
    "ContentDisallowed": "rejected_content",
}


def failure_code(exc: BaseException) -> str:
    """The machine-readable code of a stored failure's exception."""
    if isinstance(exc, JobFailed):
        return exc.code
    return CELERY_FAILURE_CODES.get(type(exc).__name__, TarjamaError.code)
