"""`sme-pulse`: the operator's command line over the same code the DAGs run."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from sme_pulse.cli_common import console, errors
from sme_pulse.cli_common import settings_or_exit as _settings
from sme_pulse.config import home_dir, load_dotenv_files
from sme_pulse.errors import SmePulseError, unexpected_error_line, write_trace
from sme_pulse.feeds.cli import feeds_app
from sme_pulse.stream.cli import stream_app

if TYPE_CHECKING:
    from sme_pulse.ingestion.report import IngestReport

app = typer.Typer(help="SME Pulse lakehouse operations.", no_args_is_help=True)
ingest_app = typer.Typer(help="Land one source in bronze.", no_args_is_help=True)
stack_app = typer.Typer(help="Operate the Docker stack (make up).", no_args_is_help=True)
trino_local_app = typer.Typer(
    help="Trino, a Hive metastore and an S3 stand-in on this machine, without Docker.",
    no_args_is_help=True,
)
kafka_local_app = typer.Typer(
    help="One Kafka broker (KRaft) on this machine, without Docker.", no_args_is_help=True
)
sales_app = typer.Typer(help="Sales exports before they are loaded.", no_args_is_help=True)
bronze_app = typer.Typer(
    help="The bronze tables as the warehouse sees them (declared in sme_pulse.bronze).",
    no_args_is_help=True,
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(feeds_app, name="feeds")
app.add_typer(stack_app, name="stack")
app.add_typer(trino_local_app, name="trino-local")
app.add_typer(kafka_local_app, name="kafka-local")
app.add_typer(bronze_app, name="bronze")
app.add_typer(sales_app, name="sales")
app.add_typer(stream_app, name="stream")


KNOWN_FAILURES = (SmePulseError,)

RunId = Annotated[str | None, typer.Option(help="Run id recorded in the lineage columns.")]
IngestDate = Annotated[
    str | None, typer.Option(help="Bronze partition date (YYYY-MM-DD); default today (UTC).")
]


def _fail(exc: Exception) -> typer.Exit:
    errors.print(f"[red]error:[/red] {exc}", soft_wrap=True)
    return typer.Exit(1)


def _print_written(written: dict[str, int]) -> None:
    for key, rows in written.items():
        console.print(f"wrote {rows} rows to {key}")


@ingest_app.command("world-bank")
def ingest_world_bank(run_id: RunId = None, ingest_date: IngestDate = None) -> None:
    """World Bank indicators for the configured country and years."""
    from sme_pulse import runs

    settings = _settings()
    try:
        _print_written(runs.ingest_world_bank(settings, runs.run_context(run_id, ingest_date)))
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc


@ingest_app.command("provinces")
def ingest_provinces(run_id: RunId = None, ingest_date: IngestDate = None) -> None:
    """Vietnam provinces and districts (API v1) or provinces and wards (v2)."""
    from sme_pulse import runs

    settings = _settings()
    try:
        _print_written(runs.ingest_provinces(settings, runs.run_context(run_id, ingest_date)))
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc


def _print_report(report: IngestReport) -> None:
    for line in report.lines():
        console.print(line)
    for empty in (f for f in report.files if f.status == "loaded" and f.rows_read == 0):
        errors.print(f"warning: {empty.name} has no data rows (header only?): 0 rows loaded")
    if report.failed:
        failed = [f.name for f in report.files if f.status in ("rejected", "failed")]
        errors.print(f"[red]error:[/red] {report.source}: could not load {', '.join(failed)}")
        raise typer.Exit(1)


@ingest_app.command("sales")
def ingest_sales(run_id: RunId = None, ingest_date: IngestDate = None) -> None:
    """Sales exports (CSV, JSON Lines, XLSX) from the landing area (LANDING_URI)."""
    from sme_pulse import runs
    from sme_pulse.sales import ingest_sales as run_sales

    settings = _settings()
    try:
        report = run_sales(settings, runs.run_context(run_id, ingest_date))
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc
    _print_report(report)


@ingest_app.command("customers")
def ingest_customers(run_id: RunId = None, ingest_date: IngestDate = None) -> None:
    """Customers changed since the last watermark, from the CRM API (CUSTOMER_API_URL)."""
    from sme_pulse import runs
    from sme_pulse.crm import ingest_customers as run_customers

    settings = _settings()
    try:
        report = run_customers(settings, runs.run_context(run_id, ingest_date))
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc
    _print_report(report)


@sales_app.command("check")
def sales_check(
    export: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="A CSV, TSV, JSON Lines or XLSX export."),
    ],
) -> None:
    """What `ingest sales` would load and quarantine from one export; writes nothing.
    Exit 0 when it would load (quarantined rows included), 1 when it would be rejected."""
    from sme_pulse.sales.check import check_export

    settings = _settings()
    try:
        result = check_export(settings, export)
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc
    for line in result.lines():
        console.print(line, markup=False, highlight=False)
    if not result.would_load:
        raise typer.Exit(1)


@stack_app.command("smoke")
def stack_smoke() -> None:
    """Trigger both DAGs through Airflow's API, wait, and check gold row counts in Trino."""
    from sme_pulse.stack.smoke import SmokeError, run_smoke

    try:
        run_smoke()
    except SmokeError as exc:
        raise _fail(exc) from exc


class DagName(StrEnum):
    external = "external"
    sales = "sales"


Dag = Annotated[
    DagName, typer.Option(help="Which DAG: external (public sources) or sales (exports, CRM).")
]


@app.command()
def preflight(dag: Dag = DagName.external) -> None:
    """The checks a DAG's `preflight` task runs: every broken dependency, at once."""
    from sme_pulse.checks import preflight as preflight_checks

    settings = _settings()
    checks = (
        preflight_checks.sales_checks if dag is DagName.sales else preflight_checks.external_checks
    )
    try:
        results = preflight_checks.verify(settings, checks)
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc
    for result in results:
        console.print(f"ok  {result['check']}: {result['detail']}")


@app.command()
def freshness(
    strict: Annotated[bool, typer.Option(help="Exit 1 when any source is stale.")] = False,
    dag: Dag = DagName.external,
) -> None:
    """What the DAG's freshness task reports: bronze age (external), exports and CRM (sales)."""
    from sme_pulse import runs
    from sme_pulse.checks import freshness as freshness_checks

    settings = _settings()
    try:
        if dag is DagName.sales:
            report = freshness_checks.sales_freshness(settings)
        else:
            report = runs.external_freshness(settings)
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc
    table = Table("source", "fresh", "detail")
    for source, state in report.items():
        table.add_row(source, "yes" if state["fresh"] else "no", str(state["detail"]))
    console.print(table)
    if strict and not all(state["fresh"] for state in report.values()):
        raise typer.Exit(1)


@app.command()
def manifest() -> None:
    """Parse the dbt project into dbt/target with the settings the tasks use (`make` runs
    it): the manifest Cosmos renders the DAGs from, and dbt's parse state for the tasks."""
    from sme_pulse.orchestration.dbt_invoke import parse_project

    try:
        console.print(f"dbt manifest: {parse_project(_settings())}")
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc


@app.command()
def demo() -> None:
    """Run the DAGs with `airflow dags test` (replay data) and print what they produced."""
    from sme_pulse.orchestration import demo as demo_run

    raise typer.Exit(demo_run.main())


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One SQL query to run on the warehouse.")],
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format", help="table for people; csv or json (one array of objects) for tools."
        ),
    ] = OutputFormat.table,
) -> None:
    """Run one query on the warehouse (the DuckDB file, read-only, or Trino's iceberg
    catalog when DBT_TARGET=trino) and print the result, every value in full."""
    from sme_pulse.warehouse import WarehouseError, ad_hoc_query

    settings = _settings()
    try:
        columns, rows = ad_hoc_query(settings, sql)
    except WarehouseError as exc:
        raise _fail(exc) from exc
    if output is OutputFormat.csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(columns)
        out.writerows(rows)
    elif output is OutputFormat.json:
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        typer.echo(json.dumps(records, ensure_ascii=False, default=_json_value, indent=1))
    else:
        _print_table(columns, rows)


FOLD_TEXT_AT = 40


def _print_table(columns: list[str], rows: list[tuple[object, ...]]) -> None:
    """Every value in full: a number is never cut or broken (rich would print
    `239258328381.7…`), long text folds onto more lines; a table wider than the terminal
    is printed wider rather than cut."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    table = Table(*columns)
    for i, column in enumerate(table.columns):
        widest = max([cell_len(columns[i]), *(cell_len(row[i]) for row in cells)])
        numeric = all(
            isinstance(row[i], int | float | Decimal) for row in rows if row[i] is not None
        )
        column.overflow = "fold"
        column.no_wrap = numeric
        column.min_width = column.max_width = widest if numeric else min(widest, FOLD_TEXT_AT)
        column.justify = "right" if numeric else "left"
    for row in cells:
        table.add_row(*row)
    # Each column's minimum, its padding of one space each side, and the borders.
    needed = sum((c.min_width or 0) + 3 for c in table.columns) + 1
    wide = needed > console.width
    (Console(soft_wrap=True, width=needed) if wide else console).print(table)


def _json_value(value: object) -> object:
    """Numbers stay numbers (a DECIMAL only when a float holds it exactly), times ISO 8601."""
    if isinstance(value, Decimal):
        exact = float(value)
        return exact if Decimal(repr(exact)) == value else str(value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


class ReportLanguage(StrEnum):
    vi = "vi"
    en = "en"


@app.command()
def report(
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for index.html and the PNGs; default $SME_PULSE_HOME/report."),
    ] = None,
    lang: Annotated[
        ReportLanguage, typer.Option(help="vi: Vietnamese numbers, dates and labels; en: English.")
    ] = ReportLanguage.vi,
) -> None:
    """Write the business report and data health as one offline HTML file, from gold."""
    from sme_pulse.report import write_report

    settings = _settings()
    try:
        index = write_report(settings, out or settings.home / "report", lang.value)
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc
    typer.echo(index)


@bronze_app.command("ddl")
def bronze_ddl() -> None:
    """The Trino statements that register bronze from nothing, one per line (LAKE_URI)."""
    from sme_pulse.bronze.trino_ddl import statements

    for statement in statements(_settings().lake_uri):
        typer.echo(statement)


@bronze_app.command("register")
def bronze_register(
    dry_run: Annotated[
        bool, typer.Option(help="Compare with Trino and print the plan; change nothing.")
    ] = False,
) -> None:
    """Create, update and partition-sync hive.bronze on Trino: the DAGs' `register_bronze`."""
    from sme_pulse.bronze.registration import register_on_trino

    settings = _settings()
    if settings.dbt_target != "trino":
        console.print(f"nothing to register: {settings.dbt_target} reads bronze in place")
        return
    try:
        plan = register_on_trino(settings, dry_run=dry_run)
    except KNOWN_FAILURES as exc:
        raise _fail(exc) from exc
    for line in plan.lines():
        typer.echo(line)
    if dry_run:
        for statement in plan.statements:
            typer.echo(statement)


@trino_local_app.command("up")
def trino_local_up() -> None:
    """Start (or find running) every server; print the Trino URL and the lake settings."""
    from sme_pulse.servers import trino_local
    from sme_pulse.servers.artifacts import ArtifactError
    from sme_pulse.servers.java import JavaNotFoundError

    settings = _settings()
    try:
        local = trino_local.up(settings)
    except (trino_local.ServerError, ArtifactError, JavaNotFoundError) as exc:
        raise _fail(exc) from exc
    fetched = ", ".join(local.downloaded) or "nothing"
    console.print(
        f"started {', '.join(local.started) or 'nothing (all running)'} in {local.seconds:.1f} s; "
        f"downloaded {fetched}"
    )
    console.print(f"Trino {local.trino_url}  (lake s3://{local.bucket} at {local.s3_endpoint})")
    console.print('point the pipeline at it: eval "$(.venv/bin/sme-pulse trino-local env)"')


@trino_local_app.command("down")
def trino_local_down() -> None:
    """Stop exactly the servers `trino-local up` started; data stays under SME_PULSE_HOME."""
    from sme_pulse.servers import trino_local

    stopped = trino_local.down(_settings())
    console.print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")


@trino_local_app.command("status")
def trino_local_status() -> None:
    """PID of each trino-local server."""
    from sme_pulse.servers import trino_local

    for name, pid in trino_local.status(_settings()).items():
        console.print(f"{name:16} {pid if pid else 'stopped'}")


@trino_local_app.command("env")
def trino_local_env() -> None:
    """Shell exports that point DAGs, dbt and the CLI at the running trino-local."""
    from sme_pulse.servers import trino_local

    local = trino_local.running(_settings())
    if local is None:
        raise _fail(RuntimeError("trino-local is not running: make trino-local"))
    for name, value in local.client_env().items():
        typer.echo(f"export {name}={value}")


@kafka_local_app.command("up")
def kafka_local_up() -> None:
    """Start (or find running) the broker, create the declared topics, print its address."""
    from sme_pulse.servers import kafka_local
    from sme_pulse.servers.artifacts import ArtifactError
    from sme_pulse.servers.java import JavaNotFoundError
    from sme_pulse.stream.topics import TopicError, ensure_topics

    try:
        local = kafka_local.up(_settings())
        created = ensure_topics(local.bootstrap)
    except (kafka_local.ServerError, ArtifactError, JavaNotFoundError, TopicError) as exc:
        raise _fail(exc) from exc
    console.print(
        f"{'started' if local.started else 'already running'} in {local.seconds:.1f} s; "
        f"downloaded {', '.join(local.downloaded) or 'nothing'}; "
        f"created topics {', '.join(created) or 'none (all exist)'}"
    )
    console.print(f"Kafka {local.bootstrap}  (export KAFKA_BOOTSTRAP_SERVERS={local.bootstrap})")


@kafka_local_app.command("down")
def kafka_local_down() -> None:
    """Stop exactly the broker `kafka-local up` started; its data stays under SME_PULSE_HOME."""
    from sme_pulse.servers import kafka_local

    console.print("stopped kafka" if kafka_local.down(_settings()) else "nothing was running")


@kafka_local_app.command("status")
def kafka_local_status() -> None:
    """PID of the kafka-local broker."""
    from sme_pulse.servers import kafka_local

    pid = kafka_local.status(_settings())
    console.print(f"{'kafka':16} {pid if pid else 'stopped'}")


def main(argv: list[str] | None = None) -> None:
    """The `sme-pulse` entry point: every failure ends as one line on stderr.

    It first reads `.env` the way `make` does, so a command run by hand sees the settings
    `make demo` sees. Commands print their own expected failures; one that slips through
    is printed the same way here. Anything else is a bug: its full trace goes to a file
    under SME_PULSE_HOME and the line says which.
    """
    args = sys.argv[1:] if argv is None else argv
    load_dotenv_files()
    what = " ".join(["sme-pulse", *[a for a in args[:2] if not a.startswith("-")]])
    try:
        app(args=args, prog_name="sme-pulse")
    except SmePulseError as exc:
        errors.print(f"[red]error:[/red] {what}: {exc}", soft_wrap=True, markup=True)
        raise SystemExit(1) from None
    except Exception as exc:
        try:
            trace = write_trace(exc, what, home_dir())
        except OSError:
            trace = None
        errors.print(f"[red]error:[/red] {unexpected_error_line(what, exc, trace)}", soft_wrap=True)
        raise SystemExit(1) from None
