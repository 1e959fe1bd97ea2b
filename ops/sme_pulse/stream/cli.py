"""`sme-pulse stream consume` (Kafka -> bronze) and `sme-pulse feeds stream` (shop -> Kafka).

Kafka and the generator are imported inside the commands, so `sme-pulse --help` and the
other commands never load them.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from sme_pulse.cli_common import console, errors
from sme_pulse.cli_common import settings_or_exit as _settings
from sme_pulse.errors import SmePulseError

if TYPE_CHECKING:
    from sme_pulse.stream.consumer import Written

stream_app = typer.Typer(help="Order events from Kafka into bronze.", no_args_is_help=True)

PAUSED_LINE = "part written, pausing before commit:"
"""What `--pause-before-commit` prints once a part is durable and not yet committed."""


def _pause(seconds: float) -> Callable[[Written], None]:
    def pause(written: Written) -> None:
        print(f"{PAUSED_LINE} {written.part.file_name}", flush=True)
        time.sleep(seconds)

    return pause


@stream_app.command("consume")
def consume_command(
    once: Annotated[
        bool, typer.Option("--once", help="Drain every partition to its end, then exit.")
    ] = False,
    topic: Annotated[
        str | None, typer.Option(help="Topic to read; default the declared one.")
    ] = None,
    pause_before_commit: Annotated[
        float,
        typer.Option(
            hidden=True, help="Tests: sleep this long after writing each part, before committing."
        ),
    ] = 0.0,
) -> None:
    """Land the order-events topic in bronze, committing offsets after each part is written."""
    from sme_pulse.stream.consumer import consume

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    settings = _settings()
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    try:
        report = consume(
            settings,
            once=once,
            topic=topic,
            stop=stop,
            before_commit=_pause(pause_before_commit) if pause_before_commit > 0 else None,
        )
    except SmePulseError as exc:
        errors.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(report.line())


def publish_command(
    customers: Annotated[int, typer.Option(help="Customers of the generated shop.")] = 50,
    orders_per_customer: Annotated[float, typer.Option(help="Mean orders per customer.")] = 2.0,
    seed: Annotated[int, typer.Option(help="Seed of the shop and of the faults.")] = 42,
    start: Annotated[str, typer.Option(help="First order date, YYYY-MM-DD.")] = "2025-11-01",
    end: Annotated[str, typer.Option(help="Last order date, YYYY-MM-DD.")] = "2025-11-30",
    order_number_offset: Annotated[
        int, typer.Option(help="Order numbers start after this one (avoid the exports' ids).")
    ] = 0,
    rate: Annotated[float, typer.Option(help="Messages per second at most; 0 = no limit.")] = 0.0,
    duplicates: Annotated[float, typer.Option(help="Share of events published twice.")] = 0.0,
    out_of_order: Annotated[
        float, typer.Option(help="Share of orders whose events go newest first.")
    ] = 0.0,
    late: Annotated[float, typer.Option(help="Share of events held back to the end.")] = 0.0,
    poison: Annotated[int, typer.Option(help="Messages that break the contract.")] = 0,
    topic: Annotated[
        str | None, typer.Option(help="Topic to publish to; default the declared one.")
    ] = None,
) -> None:
    """Publish a generated shop's order events to Kafka, keyed by order id."""
    from sme_pulse.feeds.generator import GeneratorConfig
    from sme_pulse.stream.producer import Faults, publish, shop_orders
    from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC

    settings = _settings()
    try:
        config = GeneratorConfig(
            customers=customers,
            seed=seed,
            orders_per_customer=orders_per_customer,
            dirty_share=0.0,
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
            order_number_offset=order_number_offset,
        )
        config.check()
        report = publish(
            settings.stream.bootstrap_servers,
            topic or ORDER_EVENTS_TOPIC,
            list(shop_orders(config)),
            faults=Faults(duplicates, out_of_order, late, poison),
            rate=rate,
            seed=seed,
        )
    except (SmePulseError, ValueError) as exc:
        errors.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(f"{topic or ORDER_EVENTS_TOPIC}: {report.line()}")
