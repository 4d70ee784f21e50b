"""Run the service: uvicorn around the FastAPI application, the grading thread started with it."""

from __future__ import annotations

import logging
import sys

from .app import create_app
from .service import Service

log = logging.getLogger("coursetools.serve")


def configure_logging(verbose: bool = False) -> None:
    """The service's log on stderr: what arrived, what was graded, what was refused; never a token."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("coursetools.serve", "coursetools.autograde"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        logger.propagate = False


def run(service: Service, host: str = "127.0.0.1", port: int = 8000, forwarded_allow_ips: str | None = None,
        access_log: bool = True) -> None:
    """Serve until interrupted (Ctrl+C or SIGTERM: the grading thread stops; unfinished attempts wait for the
    next start)."""
    import uvicorn

    config = uvicorn.Config(create_app(service), host=host, port=port, log_level="info", access_log=access_log,
                            proxy_headers=forwarded_allow_ips is not None,
                            forwarded_allow_ips=forwarded_allow_ips or "127.0.0.1",
                            timeout_graceful_shutdown=5)
    uvicorn.Server(config).run()
