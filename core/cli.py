"""`python -m core.cli COMMAND`: the command-line door to the core services.

Exit codes: 0 done, 1 failed, 2 refused (bad input, with a message saying why).
"""

import argparse
import sys
from collections.abc import Callable, Sequence

from core.config import ConfigurationError
from core.errors import AdFlowError, ValidationError

Command = Callable[[argparse.Namespace], int]
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def init_db(_: argparse.Namespace) -> int:
    from core.database import get_database, upgrade_schema

    upgrade_schema()
    print(f"Schema is up to date ({get_database().url.render_as_string(hide_password=True)}).")
    return EXIT_OK


def seed_demo(_: argparse.Namespace) -> int:
    from core.database import session_scope
    from core.demo import DEMO_COMPANY, DEMO_LOGIN, VIEWER_LOGIN
    from core.demo import seed_demo as seed

    with session_scope() as session:
        summary = seed(session)
    print(f"{DEMO_COMPANY}: {summary.campaigns} campaigns, {summary.metric_rows} daily metric rows.")
    print(
        f"Log in as {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]} (admin)"
        f" or {VIEWER_LOGIN[0]} / {VIEWER_LOGIN[1]} (viewer)."
    )
    return EXIT_OK


def serve(args: argparse.Namespace) -> int:
    from core.launcher import serve_all

    return serve_all(with_api=not args.no_api, with_scheduler=not args.no_scheduler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description="AdFlowAI command line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("init-db", help="create or upgrade the database schema").set_defaults(run=init_db)
    commands.add_parser(
        "seed-demo", help="create the demo company, users and campaigns (idempotent)"
    ).set_defaults(run=seed_demo)
    serve_parser = commands.add_parser("serve", help="run the app, the REST API and the scheduler together")
    serve_parser.add_argument("--no-api", action="store_true", help="do not start the REST sidecar")
    serve_parser.add_argument("--no-scheduler", action="store_true", help="do not start the scheduler")
    serve_parser.set_defaults(run=serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args)
    except ValidationError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for row in exc.rows:
            print(
                f"  row {row.get('row')}: {row.get('column')}={row.get('value')!r}: {row.get('message')}",
                file=sys.stderr,
            )
        return EXIT_REFUSED
    except (AdFlowError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
