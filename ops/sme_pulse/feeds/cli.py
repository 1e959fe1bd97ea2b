"""`sme-pulse feeds`: generate synthetic SME exports and serve the CRM feed simulator."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sme_pulse.stream.cli import publish_command

feeds_app = typer.Typer(
    help="Synthetic sales exports and a CRM API simulator for demos and tests.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from exc


@feeds_app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="Folder to write landing/ and crm/ into.")],
    customers: Annotated[int, typer.Option(help="Number of CRM customers.")] = 1000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same files.")
    ] = 42,
    orders_per_customer: Annotated[float, typer.Option(help="Mean orders per customer.")] = 4.0,
    lines_per_order: Annotated[float, typer.Option(help="Mean lines per order (>= 1).")] = 2.5,
    dirty_share: Annotated[
        float, typer.Option(help="Share of lines and customers made dirty (0..0.5).")
    ] = 0.02,
    start: Annotated[str, typer.Option(help="First order date, YYYY-MM-DD.")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="Last order date, YYYY-MM-DD.")] = "2025-12-31",
    single_csv: Annotated[
        bool, typer.Option(help="One canonical CSV for all channels (benchmarks).")
    ] = False,
    max_lines: Annotated[int | None, typer.Option(help="Stop after this many lines.")] = None,
) -> None:
    """Write channel exports to OUT/landing and CRM customers to OUT/crm/customers.jsonl."""
    from sme_pulse.feeds.generator import GeneratorConfig, GeneratorError, generate

    config = GeneratorConfig(
        customers=customers,
        seed=seed,
        orders_per_customer=orders_per_customer,
        lines_per_order=lines_per_order,
        dirty_share=dirty_share,
        start=_day(start),
        end=_day(end),
        single_csv=single_csv,
        max_lines=max_lines,
    )
    try:
        summary = generate(out, config)
    except (GeneratorError, OSError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    for name, file_summary in summary.files.items():
        console.print(
            f"landing/{name}: {file_summary.rows} rows, "
            f"{file_summary.expected_quarantined} should be quarantined"
        )
    console.print(
        f"crm/customers.jsonl: {summary.customers} customers, "
        f"{sum(summary.crm_dirty.values())} should be quarantined"
    )
    console.print(f"{summary.orders} orders, {summary.lines} lines in {out}")


@feeds_app.command("serve")
def serve_command(
    data: Annotated[Path, typer.Option(help="Folder holding customers.jsonl.")] = Path(
        ".local/feeds/crm"
    ),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 = any free port).")] = 8765,
    token_env: Annotated[
        str, typer.Option(help="Environment variable holding the bearer token; unset = no auth.")
    ] = "CUSTOMER_API_TOKEN",
    fault_rate_429: Annotated[float, typer.Option(help="Share of 429 answers.")] = 0.0,
    fault_rate_5xx: Annotated[float, typer.Option(help="Share of 503 answers.")] = 0.0,
    slow_ms: Annotated[int, typer.Option(help="Delay added to every customer answer.")] = 0,
    truncate_rate: Annotated[float, typer.Option(help="Share of cut-short bodies.")] = 0.0,
    retry_after: Annotated[int, typer.Option(help="Retry-After seconds sent with 429.")] = 1,
    fault_seed: Annotated[int, typer.Option(help="Seed for drawing faults.")] = 0,
) -> None:
    """Serve GET /v1/customers (cursor pages, updated_since) and /healthz until Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    token = os.environ.get(token_env, "").strip() or None
    try:
        from sme_pulse.feeds.simulator import FaultPlan, SimulatorError, make_server

        plan = FaultPlan(
            rate_429=fault_rate_429,
            rate_5xx=fault_rate_5xx,
            truncate_rate=truncate_rate,
            slow_ms=slow_ms,
            seed=fault_seed,
            retry_after_s=retry_after,
        )
        server = make_server(data, host=host, port=port, token=token, faults=plan)
    except (SimulatorError, OSError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    auth = f"bearer token from ${token_env}" if token else "no auth"
    console.print(
        f"{datetime.now():%H:%M:%S} serving {len(server.store)} customers from {data} "
        f"at {server.base_url} ({auth})"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        server.server_close()


feeds_app.command("stream")(publish_command)
