"""How long the scheduler's DAG processor spends parsing each DAG file.

Cosmos renders task groups from the dbt manifest at parse time; this keeps that cost
visible. Each file is parsed in a fresh interpreter (cold imports, as the DAG processor's
first parse) and then repeatedly in one process (warm, as its periodic re-parse).
Figures are printed and written to docs/benchmarks.md; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from doc_sections import write_section

TARGET_S = 0.3
REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "airflow" / "dags"

PARSE_ONE = """
import json, sys, time
t0 = time.perf_counter()
from airflow.models import DagBag
t1 = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
t2 = time.perf_counter()
warm = []
for _ in range(int(sys.argv[2])):
    s = time.perf_counter()
    DagBag(dag_folder=sys.argv[1])
    warm.append(time.perf_counter() - s)
tasks = sum(len(d.tasks) for d in bag.dags.values())
print(json.dumps({"import_s": t1 - t0, "cold_s": t2 - t1, "warm_s": warm,
                  "errors": list(bag.import_errors), "tasks": tasks}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {
        **os.environ,
        "AIRFLOW_HOME": tempfile.mkdtemp(prefix="bench-airflow-"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "DO_NOT_TRACK": "1",
    }
    rows = [
        "| DAG file | tasks | Airflow import | first parse | re-parse (median) | target ≤ 0.3 s |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for path in sorted(DAGS.glob("*.py")):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", PARSE_ONE, str(path), str(args.repeat)],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        result = json.loads(out.strip().splitlines()[-1])
        print(
            f"{path.name}: {result['tasks']} tasks; airflow import {result['import_s']:.2f} s, "
            f"first parse {result['cold_s']:.3f} s, re-parse median "
            f"{statistics.median(result['warm_s']):.3f} s (n={args.repeat}); "
            f"whole process {time.perf_counter() - started:.1f} s; errors {result['errors']}"
        )
        first, again = result["cold_s"], statistics.median(result["warm_s"])
        rows.append(
            f"| {path.name} | {result['tasks']} | {result['import_s']:.2f} s | {first:.3f} s | "
            f"{again:.3f} s | {'met' if max(first, again) <= TARGET_S else 'missed'} |"
        )
    write_section(
        "dag-parse",
        "\n".join(
            [
                "## DAG parse time",
                "",
                "`benchmarks/bench_dag_parse.py`: each DAG file in a fresh interpreter; the first "
                "parse after Airflow's import (as the DAG processor's first), then the median of "
                f"{args.repeat} re-parses in the same process (its periodic re-parse).",
                "",
                *rows,
            ]
        ),
    )


if __name__ == "__main__":
    main()
