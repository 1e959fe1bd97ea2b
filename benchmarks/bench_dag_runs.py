"""The two DAGs end to end under each way Cosmos can run dbt (`DBT_EXECUTION`).

    make bench                         # writes the "DAG runs" section of docs/benchmarks.md

Each DAG runs with `airflow dags test` exactly as `make demo` runs it (the demo's shop,
the replayed public data, the feed simulator for CRM customers). One warm-up pass loads
everything; each mode then runs both DAGs on the data already in the lake, so the
modes differ only in how dbt runs. Wall time is the `airflow dags test` process; the run
is Airflow's own record of the DAG run; dbt tasks sums the tasks of the dbt layers.
"""

from __future__ import annotations

import argparse
import os

from doc_sections import write_section
from rich.console import Console
from sme_pulse.config import DBT_EXECUTIONS, Settings
from sme_pulse.orchestration.demo import DEMO_DAGS, DagOutcome, customer_api, ensure_shop, run_dag

DBT_TASK_PREFIX = "dbt_"


def dbt_seconds(outcome: DagOutcome) -> float:
    return sum(t.seconds for t in outcome.tasks if t.task_id.startswith(DBT_TASK_PREFIX))


def render(results: dict[tuple[str, str], DagOutcome]) -> str:
    rows = [
        "| DBT_EXECUTION | DAG | state | tasks | wall | run | dbt tasks | slowest task |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for (mode, dag_id), o in results.items():
        slowest = o.slowest(1)[0]
        rows.append(
            f"| {mode} | {dag_id} | {o.state} | {len(o.tasks)} | {o.wall_s:.1f} s | "
            f"{o.run_s:.1f} s | {dbt_seconds(o):.1f} s | "
            f"{slowest.task_id} {slowest.seconds:.1f} s |"
        )
    return "\n".join(
        [
            "## DAG runs by Cosmos execution mode",
            "",
            "`benchmarks/bench_dag_runs.py` (see its docstring). `watcher`: one `dbt build` per "
            "layer and a task per model and per model's tests reporting its node; `local`: a "
            "`dbt run` and a `dbt test` task per model; `build`: a `dbt build` task per model. "
            "All three keep a task per model in the UI and stop what depends on a failed test.",
            "",
            *rows,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", default=list(DBT_EXECUTIONS))
    args = parser.parse_args()
    console = Console()
    settings = Settings.from_env()
    ensure_shop(console, settings)
    results: dict[tuple[str, str], DagOutcome] = {}
    with customer_api(console, settings) as env:
        for dag_id in DEMO_DAGS:
            run_dag(dag_id, settings, env)
        for mode in args.modes:
            for dag_id in DEMO_DAGS:
                outcome = run_dag(dag_id, settings, {**env, "DBT_EXECUTION": mode})
                results[(mode, dag_id)] = outcome
                console.print(f"{mode} {dag_id}: {outcome.state}, {outcome.wall_s:.1f} s")
    write_section("dag-runs", render(results))
    console.print(render(results))
    if any(o.state != "success" for o in results.values()):
        raise SystemExit(f"a DAG run failed; logs under {os.fspath(settings.home / 'logs')}")


if __name__ == "__main__":
    main()
