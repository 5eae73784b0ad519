"""`python -m cli COMMAND`: the command-line door to the core services.

Exit codes: 0 done, 1 failed, 2 refused (bad input, with a message saying why).
"""

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

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
    from cli.demo import DEMO_COMPANY, DEMO_LOGIN, VIEWER_LOGIN
    from cli.demo import seed_demo as seed
    from core.database import session_scope

    with session_scope() as session:
        summary = seed(session)
    print(
        f"{DEMO_COMPANY}: {summary.campaigns} campaigns, {summary.metric_rows} daily metric rows, "
        f"{summary.recommendations} pending recommendations."
    )
    print(
        f"Log in as {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]} (admin)"
        f" or {VIEWER_LOGIN[0]} / {VIEWER_LOGIN[1]} (viewer)."
    )
    return EXIT_OK


def import_csv(args: argparse.Namespace) -> int:
    from core.actor import Actor
    from core.companies import service as companies
    from core.database import session_scope
    from core.imports import service as csv_import
    from db.enums import Role

    options = {"platform": args.platform, "mapping": _mapping(args.map), "date_format": args.date_format}
    try:
        file = open(args.file, "rb")  # noqa: SIM115 - closed below, whatever happens
    except OSError as exc:
        raise ValidationError({"FILE": f"cannot read {args.file}: {exc.strerror}"}) from None
    with file, session_scope() as session:
        company = companies.get_by_name(session, args.company)
        actor = Actor(company_id=company.id, role=Role.ADMIN, name="cli")
        if args.dry_run:
            preview = csv_import.preview(session, actor, file, options)
            _print_preview(preview)
            preview.raise_for_errors()
            print("Dry run: nothing was imported.")
            return EXIT_OK
        result = csv_import.import_file(session, actor, file, options)
    _print_preview(result.preview)
    print(
        f"Imported {result.days_written} campaign-days; created {result.campaigns_created} campaign(s) "
        f"and {result.placements_created} platform campaign(s)."
    )
    return EXIT_OK


def optimize(args: argparse.Namespace) -> int:
    from core.actor import Actor
    from core.companies import service as companies
    from core.database import session_scope
    from core.optimizer.service import run_for_company
    from db.enums import Role

    with session_scope() as session:
        company = companies.get_by_name(session, args.company)
        actor = Actor(company_id=company.id, role=Role.ADMIN, name="cli")
        summary = run_for_company(session, actor, apply=True if args.apply else None)
    print(
        f"{args.company}: {summary.campaigns} campaigns, {summary.placements} placements scored "
        f"in {summary.seconds:.1f} s; {summary.alerts_opened} new alerts."
    )
    print(
        f"Recommendations: {summary.recommendations_created} new, {summary.recommendations_kept} still "
        f"pending, {summary.recommendations_superseded} superseded; "
        f"{summary.applied} applied, {summary.apply_failed} failed."
    )
    for note in summary.notes:
        print(f"note: {note}")
    return EXIT_FAILED if summary.apply_failed else EXIT_OK


def allocate(args: argparse.Namespace) -> int:
    from core.optimizer import allocate_budget

    constraints = {"objective": args.objective, "exploration_share": args.exploration_share}
    constraints["max_change"] = None if args.max_change <= 0 else args.max_change
    plan = allocate_budget(_read_csv(args.history, "--history"), args.budget, **constraints)
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2))
        return EXIT_OK
    print(f"Daily budget {plan.total_budget} ({plan.objective}):")
    for row in plan.table.itertuples():
        print(
            f"  {row.platform_campaign_id!s:>12}  {plan.budgets[row.platform_campaign_id]:>12}  {row.reason}"
        )
    print(
        f"Expected {plan.objective} per day: {plan.expected_total:,.2f} "
        f"(80% interval {plan.expected_total_low:,.2f}–{plan.expected_total_high:,.2f}); "
        f"the current split: {plan.current_expected_total:,.2f}."
    )
    return EXIT_OK


def _mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, separator, field = pair.rpartition("=")
        if not separator or not column.strip() or not field.strip():
            raise ValidationError({"map": f"expected COLUMN=FIELD, got {pair!r}"})
        mapping[column.strip()] = field.strip()
    return mapping


def _print_preview(preview) -> None:
    from core.imports.service import FORMAT_LABELS

    print(
        f"{FORMAT_LABELS[preview.format]} ({preview.encoding}, {preview.delimiter}-separated, "
        f"dates like {preview.date_format}, numbers like {preview.number_format}"
        + (f", {preview.currency}" if preview.currency else "")
        + f"); header on line {preview.header_line}"
    )
    print("  columns: " + ", ".join(f"{field} <- {column!r}" for field, column in preview.columns.items()))
    period = f"{preview.first_day} to {preview.last_day}" if preview.first_day else "no days"
    print(
        f"  {preview.rows} rows at {preview.level} level -> {preview.campaign_days} campaign-days "
        f"({preview.summed_rows} rows summed), {period}"
    )
    totals = preview.totals
    print(
        f"  totals: {totals['impressions']:,.0f} impressions, {totals['clicks']:,.0f} clicks, "
        f"{totals['conversions']:,.2f} conversions, spend {totals['spend']:,.2f}, "
        f"revenue {totals['revenue']:,.2f}"
    )
    if preview.new_campaigns:
        print(f"  new campaigns ({len(preview.new_campaigns)}): " + ", ".join(preview.new_campaigns))
    for note in preview.notes:
        print(f"  note: {note}")


def anomalies(args: argparse.Namespace) -> int:
    from core.optimizer import detect_anomalies

    scored = detect_anomalies(_read_csv(args.csv, "--csv"), args.time_column, args.value_column)
    if args.json:
        print(scored.to_json(orient="records", date_format="iso", indent=2))
        return EXIT_OK
    flagged = scored[scored["is_anomaly"]]
    print(f"{len(flagged)} of {len(scored)} rows look anomalous.")
    if len(flagged):
        print(flagged.to_string(index=False))
    return EXIT_OK


def _read_csv(path: str, option: str):
    """A CSV file as a DataFrame, or a ValidationError that says what is wrong with the file."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise ValidationError({option: f"no file {path!r}"})
    try:
        frame = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise ValidationError({option: f"{path!r} is empty"}) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValidationError({option: f"{path!r} is not a readable CSV file ({exc})"}) from None
    if frame.empty:
        raise ValidationError({option: f"{path!r} has a header but no rows"})
    return frame


def serve(args: argparse.Namespace) -> int:
    from cli.launcher import serve_all

    return serve_all(with_api=not args.no_api, with_scheduler=not args.no_scheduler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cli", description="AdFlowAI command line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("init-db", help="create or upgrade the database schema").set_defaults(run=init_db)
    commands.add_parser(
        "seed-demo", help="create the demo company, users and campaigns (idempotent)"
    ).set_defaults(run=seed_demo)
    importer = commands.add_parser(
        "import-csv",
        help="import a Google Ads report, a Meta Ads Manager export or any CSV with a column mapping",
    )
    importer.add_argument("file", metavar="FILE")
    importer.add_argument("--company", required=True, help="the company whose campaigns the file feeds")
    importer.add_argument("--platform", help="platform of every row, for files without a platform column")
    importer.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read COLUMN as FIELD (date, campaign, campaign_id, platform, impressions, clicks, "
        "conversions, spend, revenue, currency); repeat for each column",
    )
    importer.add_argument("--date-format", help="strftime form of the dates when they read two ways")
    importer.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    importer.set_defaults(run=import_csv)

    optimize_parser = commands.add_parser(
        "optimize", help="run one optimizer pass over a company: scores, alerts, recommendations"
    )
    optimize_parser.add_argument("--company", required=True, help="the company's name")
    optimize_parser.add_argument(
        "--apply", action="store_true", help="also apply the recommendations that clear the confidence bar"
    )
    optimize_parser.set_defaults(run=optimize)
    allocate_parser = commands.add_parser(
        "allocate", help="split a daily budget over the placements of a CSV"
    )
    allocate_parser.add_argument(
        "--history",
        required=True,
        help="CSV with date, platform_campaign_id, spend, impressions, clicks, conversions, revenue",
    )
    allocate_parser.add_argument("--budget", required=True, help="the daily budget to split")
    allocate_parser.add_argument("--objective", choices=("conversions", "revenue"), default="conversions")
    allocate_parser.add_argument(
        "--max-change", type=float, default=0.3, help="cap on each change, as a share (0 for no cap)"
    )
    allocate_parser.add_argument("--exploration-share", type=float, default=0.05)
    allocate_parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    allocate_parser.set_defaults(run=allocate)
    anomalies_parser = commands.add_parser(
        "anomalies", help="score each row of a time series CSV for anomalies"
    )
    anomalies_parser.add_argument("--csv", required=True, help="the CSV file")
    anomalies_parser.add_argument("--time-column", required=True)
    anomalies_parser.add_argument(
        "--value-column", required=True, action="append", help="a column to check (repeat for several)"
    )
    anomalies_parser.add_argument(
        "--json", action="store_true", help="print every row with its score as JSON"
    )
    anomalies_parser.set_defaults(run=anomalies)
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
            where = f"line {row['line']}" if "line" in row else f"row {row.get('row')}"
            print(
                f"  {where}: {row.get('column')}={row.get('value')!r}: {row.get('message')}",
                file=sys.stderr,
            )
        return EXIT_REFUSED
    except (AdFlowError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:  # the last line of defence: a message, never a traceback
        logging.getLogger("cli").debug("command failed", exc_info=True)
        print(f"error: {args.command} failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
