"""`make demo`: run the DAGs end to end with `airflow dags test` and show what they made.

`airflow dags test` runs a real DAG run (scheduler-free, in one process) against the
local SQLite metadata database, so the demo exercises exactly what production runs:
the same DAG file, the same Cosmos task groups, the same package code.

The sales DAG needs a shop: when the landing area is empty, the demo generates one
(`sme_pulse.feeds.generator`, a few hundred customers over three years, dirty rows
included) and serves its CRM customers with the feed simulator in this process, on a
free port passed to the DAG runs as CUSTOMER_API_URL. The external DAG runs first: the
sales models join to its gold tables. The business answers at the end are queried from
gold, the tables an analyst or Metabase would read.

The shop also sells live: the demo starts kafka-local (or uses a broker already answering
on KAFKA_LOCAL_PORT, e.g. `make kafka-local`, and leaves it running), publishes the order
events of the shop's newest orders, which no export has yet, plus a couple the exports
carry too, and runs the order-stream DAG before the sales DAG, so gold holds both kinds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sme_pulse.checks import reconcile
from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError, first_line
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.feeds.simulator import start_server
from sme_pulse.orchestration.dbt_docs import DOCS_MENU_NAME, generate_site
from sme_pulse.report import write_report
from sme_pulse.servers import kafka_local
from sme_pulse.servers.process import Server, port_open
from sme_pulse.storage import Lake
from sme_pulse.warehouse import bronze_row_counts, model_row_counts, query

DEMO_DAGS = ("sme_pulse_external_data_sync", "sme_pulse_sales_sync")
DEMO_SHOP = GeneratorConfig(customers=400, seed=42)
"""Big enough for every chart to say something, small enough for a demo under 90 s."""
STREAM_DAG = "sme_pulse_order_stream"
LIVE_SHOP = replace(
    DEMO_SHOP, orders_per_customer=0.3, start=date(2025, 12, 1), order_number_offset=900_000
)
"""The same customers ordering live in the exports' last month (about 120 orders), with
order numbers past every export's, so each is an order the exports do not have."""
BOTH_WAYS = 2
"""Exported orders whose events are published too: gold must count each of them once."""
TEST_RESULT = re.compile(
    r"\b\d+ of \d+ "
    r"(PASS|WARN \d+|FAIL \d+|SKIP test|ERROR(?! creating| loading| snapshotting)) (\S+)"
)


SLOWEST_SHOWN = 5
DEMO_WIDTH = 140


@dataclass(frozen=True)
class TaskTiming:
    task_id: str
    state: str
    seconds: float


@dataclass(frozen=True)
class DagOutcome:
    dag_id: str
    state: str
    wall_s: float
    """`airflow dags test` from process start to exit: start-up and parsing included."""
    run_s: float
    """The DAG run alone, from Airflow's record of it."""
    tasks: list[TaskTiming]
    dbt_tests: Counter[str]
    log_path: Path

    @property
    def task_states(self) -> Counter[str]:
        return Counter(t.state for t in self.tasks)

    @property
    def failed_tasks(self) -> list[str]:
        return sorted(t.task_id for t in self.tasks if t.state in ("failed", "upstream_failed"))

    def slowest(self, n: int = SLOWEST_SHOWN) -> list[TaskTiming]:
        return sorted(self.tasks, key=lambda t: t.seconds, reverse=True)[:n]


def run_dag(dag_id: str, settings: Settings, env: Mapping[str, str] | None = None) -> DagOutcome:
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{dag_id}.log"
    airflow = Path(sys.executable).with_name("airflow")
    started = time.monotonic()
    with log_path.open("w") as log:
        subprocess.run(
            [str(airflow), "dags", "test", dag_id],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            check=False,
        )
    wall = time.monotonic() - started
    state, run_s, tasks = _latest_run(dag_id)
    return DagOutcome(
        dag_id=dag_id,
        state=state,
        wall_s=wall,
        run_s=run_s,
        tasks=tasks,
        dbt_tests=dbt_test_results(log_path.read_text(errors="replace")),
        log_path=log_path,
    )


def dbt_test_results(log: str) -> Counter[str]:
    """Count dbt's result line of each data test in a `dags test` log, by outcome.

    dbt prints one line per finished node, whichever task ran it (a model's test task,
    a per-model `dbt build`, or a layer's `dbt build`), e.g. `3 of 6 PASS not_null_x`,
    `FAIL 2 unique_y`, `ERROR z`, `SKIP test w`. A test's last line wins, so one that
    failed and then passed on retry counts once, as passed.
    """
    outcome: dict[str, str] = {}
    for line in log.splitlines():
        if found := TEST_RESULT.search(line):
            status, name = found.groups()
            outcome[name] = status.split()[0].lower()
    return Counter(outcome.values())


def _seconds(start: Any, end: Any) -> float:
    return (end - start).total_seconds() if start and end else 0.0


def _latest_run(dag_id: str) -> tuple[str, float, list[TaskTiming]]:
    """State and duration of the newest run of `dag_id` and of each of its tasks."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.start_date.desc())
        ).first()
        if run is None:
            return "not run", 0.0, []
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == dag_id, TaskInstance.run_id == run.run_id
            )
        ).all()
        return (
            str(run.state),
            _seconds(run.start_date, run.end_date),
            [
                TaskTiming(ti.task_id, str(ti.state), _seconds(ti.start_date, ti.end_date))
                for ti in tis
            ],
        )


def print_summary(console: Console, settings: Settings, outcomes: list[DagOutcome]) -> None:
    runs = Table(
        "DAG", "state", "wall time", "of which the run", "tasks", "dbt tests", title="DAG runs"
    )
    for o in outcomes:
        runs.add_row(
            o.dag_id,
            o.state,
            f"{o.wall_s:.1f} s",
            f"{o.run_s:.1f} s",
            ", ".join(f"{n} {s}" for s, n in sorted(o.task_states.items())),
            ", ".join(f"{n} {s}" for s, n in o.dbt_tests.items()) or "none",
        )
    console.print(runs)
    slowest = Table("DAG", "task", "state", "time", title=f"Slowest {SLOWEST_SHOWN} tasks per DAG")
    for o in outcomes:
        for t in o.slowest():
            slowest.add_row(o.dag_id, t.task_id, t.state, f"{t.seconds:.2f} s")
    console.print(slowest)

    bronze = Table("bronze dataset", "files", "rows", title=f"Bronze ({settings.lake_uri})")
    for dataset, counts in bronze_row_counts(Lake.from_settings(settings)).items():
        bronze.add_row(dataset, str(counts["files"]), str(counts["rows"]))
    console.print(bronze)

    print_row_accounting(console, settings)

    models = Table("table", "rows", title=f"Silver and gold ({settings.warehouse_path})")
    for table, rows in model_row_counts(settings).items():
        models.add_row(table, str(rows))
    console.print(models)


def print_row_accounting(console: Console, settings: Settings) -> None:
    """Landing file → bronze → silver, as the sales run's summary checked it."""
    try:
        balances = reconcile.warehouse_balances(settings)
    except SmePulseError as exc:
        console.print(f"[yellow]row accounting unavailable[/yellow]: {exc}")
        return
    table = Table("source", "check", "expected", "actual", "difference", title="Row accounting")
    for b in balances:
        table.add_row(b.source, b.check, str(b.expected), str(b.actual), f"{b.difference:+d}")
    console.print(table)


def feeds_dir(settings: Settings) -> Path:
    return settings.home / "feeds"


def ensure_shop(console: Console, settings: Settings) -> None:
    """Generate a shop's exports and CRM customers when the landing area is empty."""
    landing = Lake(settings.landing_uri, settings.s3)
    if any(landing.list("")):
        return
    out = feeds_dir(settings)
    summary = generate(out, DEMO_SHOP)
    for path in sorted((out / "landing").iterdir()):
        landing.put_bytes(path.name, path.read_bytes())
    console.print(
        f"Generated a shop: {summary.orders} orders, {summary.lines} lines in "
        f"{len(summary.files)} exports ({summary.expected_quarantined} dirty lines for the "
        f"quarantine) in {settings.landing_uri}, {summary.customers} CRM customers"
    )


@contextlib.contextmanager
def customer_api(console: Console, settings: Settings) -> Iterator[dict[str, str]]:
    """Serve the generated CRM customers; the environment the DAG runs need for it."""
    data = feeds_dir(settings) / "crm"
    if not (data / "customers.jsonl").is_file():
        yield {}
        return
    # Its request log would scroll through the progress display; errors still show.
    logging.getLogger("sme_pulse.feeds.simulator").setLevel(logging.WARNING)
    server, url = start_server(data, port=0, token=settings.customer_api_token)
    console.print(f"Feed simulator serving {data} at {url}")
    try:
        yield {"CUSTOMER_API_URL": url}
    finally:
        server.stop()


class DemoStreamError(SmePulseError, RuntimeError):
    """The demo's broker could not be started or its events not published."""


@dataclass(frozen=True)
class LiveOrders:
    """What the demo published: live orders only the stream has, and orders sent both ways."""

    stream_only: list[dict[str, Any]]
    both_ways: list[dict[str, Any]]

    @property
    def orders(self) -> list[dict[str, Any]]:
        return [*self.stream_only, *self.both_ways]


def exported_order_ids(landing: Path) -> set[str]:
    """Every word of the generated CSV exports: a superset of the order ids they carry.

    Each channel writes its own CSV dialect (the website's workbook is left out); the
    words of their text are enough to tell whether an order id occurs in them, without
    parsing each dialect."""
    words: set[str] = set()
    for path in landing.iterdir():
        if path.suffix == ".csv":
            words.update(re.findall(r"[\w-]+", path.read_text(errors="replace")))
    return words


def live_orders(settings: Settings) -> LiveOrders:
    """LIVE_SHOP's orders, and the newest BOTH_WAYS orders of the demo shop's CSV exports."""
    from sme_pulse.stream.producer import shop_orders

    exported = exported_order_ids(feeds_dir(settings) / "landing")
    shop = [o for o in shop_orders(DEMO_SHOP) if o["order_id"] in exported]
    return LiveOrders(list(shop_orders(LIVE_SHOP)), shop[-BOTH_WAYS:])


def publish_live_orders(settings: Settings, bootstrap: str) -> tuple[LiveOrders, str]:
    """Create the declared topics and publish the live orders' events; (orders, report line)."""
    from sme_pulse.stream.producer import publish
    from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC, ensure_topics

    ensure_topics(bootstrap)
    orders = live_orders(settings)
    report = publish(bootstrap, ORDER_EVENTS_TOPIC, orders.orders)
    return orders, f"{ORDER_EVENTS_TOPIC}: {report.line()}"


def _broker_answers(settings: Settings, bootstrap: str) -> bool:
    if kafka_local.status(settings):
        return True
    if not port_open(settings.local_stack.kafka_port):
        return False
    from confluent_kafka import KafkaException

    try:
        return kafka_local.broker_answers(bootstrap)
    except KafkaException:  # a program that is not Kafka: kafka_local.up names the port
        return False


@contextlib.contextmanager
def order_stream(console: Console, settings: Settings) -> Iterator[dict[str, str]]:
    """A broker with the shop's live orders on it; the environment the DAG runs need.

    Only for the generated shop (its customers are the live orders' customers). A broker
    this starts is stopped on the way out, also when a DAG fails; one already answering on
    KAFKA_LOCAL_PORT is used and left running.
    """
    if not (feeds_dir(settings) / "landing").is_dir():
        yield {}
        return
    bootstrap = kafka_local.bootstrap(settings.local_stack)
    log_path = Server.recorded(settings.home, kafka_local.NAME).log_path
    started_here = False
    try:
        try:
            if _broker_answers(settings, bootstrap):
                console.print(f"Kafka already running at {bootstrap}: using it, leaving it up")
            else:
                started_here = True
                with console.status("kafka-local up ..."):
                    local = kafka_local.up(settings)
                console.print(f"Kafka (kafka-local) at {bootstrap}, ready in {local.seconds:.1f} s")
            orders, line = publish_live_orders(settings, bootstrap)
        except SmePulseError as exc:
            raise DemoStreamError(
                f"the demo's Kafka broker: {first_line(exc)} (broker log {log_path})"
            ) from exc
        console.print(
            f"Published {len(orders.stream_only)} live orders and {len(orders.both_ways)} "
            f"exported ones: {line}"
        )
        yield {"KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    finally:
        if started_here:
            kafka_local.down(settings)


def _vnd(amount: Any) -> str:
    return "" if amount is None else f"{int(amount):,}".replace(",", ".")


def _pct(value: Any) -> str:
    return "" if value is None else f"{value:+.1f} %"


def _table(console: Console, title: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)


BUSINESS_QUESTIONS = {
    "revenue_by_province_month": """
        select cast(order_month as varchar), province_name, net_revenue_vnd, completed_orders,
               identified_customers, guest_completed_orders
        from gold.fct_sales_monthly_by_province
        where order_month in (
            select distinct order_month from gold.fct_sales_monthly_by_province
            order by order_month desc
            limit 3)
        order by order_month desc, net_revenue_vnd desc
        limit 12
    """,
    "segments_channels": """
        select customer_segment, channel, sum(net_revenue_vnd) as revenue,
               sum(completed_orders) as orders,
               sum(net_revenue_vnd) * 100.0 / (select sum(net_revenue_vnd)
                                               from gold.fct_revenue_by_segment_channel)
        from gold.fct_revenue_by_segment_channel
        group by customer_segment, channel
        order by revenue desc
        limit 10
    """,
    "held_back": """
        select order_year, sum(reported_net_revenue_vnd), sum(held_back_net_revenue_vnd),
               sum(orders_held_back), sum(repaired_lines)
        from gold.fct_revenue_held_back
        group by order_year
        order by order_year nulls last
    """,
    "customers": """
        select count(distinct customer_key), count(distinct crm_customer_id)
        from gold.fct_sales
        where customer_key is not null
    """,
    "cohorts": """
        select cast(cohort_month as varchar), max(cohort_customers),
               max(case when months_since_first = 1 then retention_pct end),
               max(case when months_since_first = 3 then retention_pct end),
               max(case when months_since_first = 6 then retention_pct end),
               max(case when months_since_first = 12 then retention_pct end)
        from gold.fct_customer_cohorts
        group by cohort_month
        order by cohort_month
        limit 12
    """,
    "growth": """
        select year, province_name, net_revenue_vnd, net_revenue_nominal_growth_pct,
               inflation_cpi_pct, net_revenue_real_growth_pct, is_small_base
        from gold.mart_sales_vs_macro
        where geo_level = 'country'
           or province_code in (
               select province_code from gold.mart_sales_vs_macro
               where geo_level = 'province'
               order by year desc, net_revenue_vnd desc
               limit 3)
        order by geo_level, province_name, year
    """,
}


ORDERS_BY_SOURCE = """
    select
        case
            when f.source_file like 'kafka://%' then 'order events only (Kafka)'
            when streamed.order_id is not null then 'both ways (the export counts)'
            else 'file exports only'
        end as source,
        count(distinct f.order_id),
        count(*),
        sum(f.net_revenue_vnd)
    from gold.fct_sales as f
    left join (select distinct order_id from silver.int_stream_order_lines) as streamed
        on streamed.order_id = f.order_id
    group by 1
    order by 2 desc
"""
"""Where gold's orders came from: streamed lines carry `kafka://<topic>` as their source
file; an order sent both ways is the export's, once."""


def print_orders_by_source(console: Console, settings: Settings) -> None:
    rows = query(settings, ORDERS_BY_SOURCE)
    total = ("all orders", *(sum(r[i] for r in rows) for i in (1, 2, 3)))
    _table(
        console,
        "Orders by source (gold.fct_sales; each order once)",
        ("source", "orders", "lines", "net revenue"),
        [(s, o, n, _vnd(r)) for s, o, n, r in (*rows, total)],
    )


def print_business_answers(console: Console, settings: Settings) -> None:
    """What the shop owner asked for, straight from gold."""
    rows = query(settings, BUSINESS_QUESTIONS["revenue_by_province_month"])
    _table(
        console,
        "Net revenue by province, last three months (VND; completed orders, after discounts)",
        (
            "month",
            "province of the order's address",
            "net revenue",
            "completed orders",
            "identified customers",
            "guest orders",
        ),
        [(m, p, _vnd(r), o, c, g) for m, p, r, o, c, g in rows],
    )
    rows = query(settings, BUSINESS_QUESTIONS["segments_channels"])
    _table(
        console,
        "Top customer segments and channels, all time",
        ("segment", "channel", "net revenue", "orders", "share"),
        [(s, c, _vnd(r), o, f"{share:.1f} %") for s, c, r, o, share in rows],
    )
    rows = query(settings, BUSINESS_QUESTIONS["held_back"])
    _table(
        console,
        "Partial orders: completed revenue reported vs held back whole (a line was rejected "
        "and the order could not repair it), per year (VND)",
        ("year", "reported", "held back", "orders held back", "lines repaired"),
        [("" if y is None else y, _vnd(r), _vnd(h), o, n) for y, r, h, o, n in rows],
    )
    people, in_crm = query(settings, BUSINESS_QUESTIONS["customers"])[0]
    console.print(
        f"Customers: {people} people with orders ({in_crm} of them in the CRM), "
        "ids, emails and phones linked across orders"
    )
    rows = query(settings, BUSINESS_QUESTIONS["cohorts"])
    _table(
        console,
        "Cohort retention: share of each first-order month buying again",
        ("cohort", "customers", "month 1", "month 3", "month 6", "month 12"),
        [(c, n, *("" if v is None else f"{v:.0f} %" for v in rest)) for c, n, *rest in rows],
    )
    rows = query(settings, BUSINESS_QUESTIONS["growth"])
    _table(
        console,
        "Net revenue growth (VND): nominal vs real (net of CPI inflation; blank until the World "
        "Bank publishes); small base = growth on a tiny previous year",
        ("year", "where", "net revenue", "nominal", "CPI inflation", "real", "small base"),
        [
            (y, p, _vnd(r), _pct(n), _pct(i), _pct(g), "yes" if small else "")
            for y, p, r, n, i, g, small in rows
        ],
    )


def main(dags: tuple[str, ...] = DEMO_DAGS) -> int:
    # Wide enough for the task ids when the output is a log or a pipe, not a terminal.
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else DEMO_WIDTH)
    settings = Settings.from_env()
    console.print(
        f"SME Pulse demo: SOURCE_MODE={settings.source_mode}, lake {settings.lake_uri}, "
        f"dbt target {settings.dbt_target}"
    )
    started = time.monotonic()
    outcomes = []
    sales = "sme_pulse_sales_sync" in dags
    if sales:
        ensure_shop(console, settings)
        # The stream lands its orders in bronze before the sales models read it.
        dags = (
            *(d for d in dags if d != "sme_pulse_sales_sync"),
            STREAM_DAG,
            "sme_pulse_sales_sync",
        )
    try:
        with (
            customer_api(console, settings) as crm_env,
            order_stream(console, settings) if sales else contextlib.nullcontext({}) as stream_env,
        ):
            for dag_id in dags:
                with console.status(f"airflow dags test {dag_id} ..."):
                    outcome = run_dag(dag_id, settings, {**crm_env, **stream_env})
                outcomes.append(outcome)
                console.print(
                    f"{dag_id}: {outcome.state} in {outcome.wall_s:.1f} s (log: {outcome.log_path})"
                )
                if outcome.state != "success":
                    break
    except DemoStreamError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    print_summary(console, settings, outcomes)
    failed = [o for o in outcomes if o.state != "success"]
    if not failed and sales:
        print_orders_by_source(console, settings)
        print_business_answers(console, settings)
    console.print(f"Total wall time: {time.monotonic() - started:.1f} s")
    for o in failed:
        tasks = ", ".join(o.failed_tasks) or "none recorded"
        console.print(f"[red]{o.dag_id} {o.state}[/red]: failed tasks {tasks}; see {o.log_path}")
    if not failed:
        console.print(
            "Query the result: .venv/bin/sme-pulse query "
            "'select * from gold.fct_sales_monthly_by_province order by order_month desc'"
        )
        # Again now that the warehouse is built: the site then has the catalog too. The
        # DAGs succeeded; a docs site that cannot be made is a warning, not a failed demo.
        try:
            with console.status("dbt docs generate ..."):
                site = generate_site(settings)
        except Exception as exc:
            console.print(f"[yellow]dbt docs not generated[/yellow]: {first_line(exc)}")
        else:
            console.print(f"dbt docs: {site} (make airflow: Browse > {DOCS_MENU_NAME})")
        # Like the docs: the DAGs succeeded, so a report that cannot be drawn only warns.
        try:
            with console.status("sme-pulse report ..."):
                report = write_report(settings, settings.home / "report")
        except Exception as exc:
            console.print(f"[yellow]report not written[/yellow]: {first_line(exc)}")
        else:
            console.print(f"Report: {report} (make report rebuilds it)")
    return 1 if failed else 0
