"""Run an app with uvicorn: SIGTERM or Ctrl+C stops accepting, lets in-flight requests finish, then exits."""

from __future__ import annotations

from typing import Any

import uvicorn

from ..errors import ConfigError
from .settings import ServeSettings


def run_server(app: Any, settings: ServeSettings) -> None:
    """Serve ``app`` on ``settings.host:settings.port`` until a shutdown signal (blocks).

    Raises:
        ConfigError: When the server cannot start (the port is taken, the host is not an address here).
    """
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=settings.graceful_timeout_s,
    )
    try:
        uvicorn.Server(config).run()
    except SystemExit as stop:  # uvicorn logs why it could not start, then exits
        if stop.code:
            raise ConfigError(
                f"serve: could not start on {settings.host}:{settings.port} (the reason is logged above): "
                "pass another --port or --host"
            ) from None
        raise
    except KeyboardInterrupt:  # Ctrl+C: uvicorn already finished the in-flight requests
        return
