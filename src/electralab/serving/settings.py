"""Settings of the HTTP server: where it listens, how it batches, what it refuses."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import ConfigError

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


@dataclass(frozen=True)
class ServeSettings:
    """How ``electralab serve`` listens, batches and bounds requests (checked before any model is loaded).

    Attributes:
        host: Interface to listen on (``127.0.0.1``: this machine only; ``0.0.0.0``: every interface).
        port: TCP port.
        max_batch: Most texts run together in one prediction call (from any number of requests).
        max_wait_ms: Longest a queued text waits for others to join its batch, in milliseconds.
        max_texts: Most texts in one request.
        max_chars: Most characters in one text.
        max_body_bytes: Largest request body in bytes (by Content-Length and by the bytes actually sent).
        log_level: uvicorn's log level: critical, error, warning, info, debug, trace.
        access_log: Log one line per request.
        graceful_timeout_s: On shutdown, how long in-flight requests may still take before they are cancelled.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    max_batch: int = 32
    max_wait_ms: float = 5.0
    max_texts: int = 256
    max_chars: int = 20_000
    max_body_bytes: int = 2_000_000
    log_level: str = "info"
    access_log: bool = True
    graceful_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in ("max_batch", "max_texts", "max_chars", "max_body_bytes") and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(f"serve: {field.name}={value!r}: expected a whole number of at least 1")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(f"serve: port={self.port!r}: expected a TCP port from 0 to 65535 (0: any free port)")
        for name in ("max_wait_ms", "graceful_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"serve: {name}={value!r}: expected a number of at least 0")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"serve: log_level={self.log_level!r}: expected one of {', '.join(LOG_LEVELS)}")
