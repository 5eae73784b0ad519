"""`python -m api [--host H] [--port P] [--workers N]`: serve the REST sidecar with uvicorn."""

import argparse
import logging
import sys

import uvicorn

from core.config import get_settings, share_connections_evenly_between_workers


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the AdFlowAI REST API.")
    parser.add_argument("--host", default=settings.api_host)
    parser.add_argument("--port", type=int, default=settings.api_port)
    parser.add_argument(
        "--workers",
        type=int,
        default=settings.api_workers,
        help="processes serving requests (one per core is a good start)",
    )
    args = parser.parse_args()
    configure_logging(settings.log_level)
    share_connections_evenly_between_workers()
    print(f"AdFlowAI API on http://{args.host}:{args.port} (OpenAPI at /docs)", flush=True)
    uvicorn.run(
        "api.app:create_server_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Our own access log writes JSON lines; uvicorn's would say the same in prose.
        access_log=False,
        log_config=None,
        log_level=settings.log_level.lower(),
    )


def configure_logging(level: str) -> None:
    """Access log lines are JSON already and go out as they are; everything else gets a prefix."""
    plain = logging.StreamHandler(sys.stdout)
    plain.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("adflow.api.access")
    access.handlers = [plain]
    access.propagate = False
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Importing the migrations' library announces its plugins at INFO: noise in a server's log.
    logging.getLogger("alembic").setLevel(logging.WARNING)


if __name__ == "__main__":
    main()
