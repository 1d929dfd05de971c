"""What a Redis URL of the settings says: one Redis, or a Sentinel-managed master.

``redis://``, ``rediss://`` (TLS) and ``unix://`` name one Redis. Celery's Sentinel form
``sentinel://:password@host1:26379/0;sentinel://host2:26379/0;...`` names the Sentinels to
ask for the master, with the master's password and database in the first address (the
master set's name is a setting of its own). Pure parsing: no connection, no settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from kombu.utils.url import maybe_sanitize_url

SENTINEL_SCHEME = "sentinel"
SENTINEL_PORT = 26379
URL_SEPARATOR = ";"


def is_sentinel(url: str) -> bool:
    return urlsplit(url.split(URL_SEPARATOR, 1)[0].strip()).scheme == SENTINEL_SCHEME


def safe_url(url: str) -> str:
    """The URL with its passwords masked, for messages and logs (each address of a list)."""
    return URL_SEPARATOR.join(maybe_sanitize_url(part) for part in url.split(URL_SEPARATOR))


@dataclass(frozen=True)
class SentinelTarget:
    """A ``sentinel://`` URL, read: where the Sentinels are, and how to talk to the master."""

    sentinels: tuple[tuple[str, int], ...]
    db: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SentinelTarget:
        """Read the URL; ``ValueError`` says what is wrong with it."""
        parts = [urlsplit(p.strip()) for p in url.split(URL_SEPARATOR) if p.strip()]
        if not parts:
            raise ValueError("a sentinel:// URL names at least one Sentinel")
        for part in parts:
            if part.scheme != SENTINEL_SCHEME:
                raise ValueError(
                    f"every address of a sentinel URL is sentinel://host:port (got "
                    f"{part.scheme or '(no scheme)'}://)"
                )
            if not part.hostname:
                raise ValueError("every sentinel:// address needs a host")
        first = parts[0]
        path = first.path.strip("/")
        if path and not path.isdigit():
            raise ValueError(f"the database in a sentinel URL is a number (got {path!r})")
        return cls(
            sentinels=tuple((p.hostname or "", p.port or SENTINEL_PORT) for p in parts),
            db=int(path or 0),
            username=unquote(first.username) if first.username else None,
            password=unquote(first.password) if first.password else None,
        )
