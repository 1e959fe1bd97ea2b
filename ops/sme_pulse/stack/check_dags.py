"""Fail the image build when a DAG does not import.

An import error found at build time stops `docker compose build`; found at run time it
is a red banner in the UI and a DAG that silently never runs. Run as
`python -m sme_pulse.stack.check_dags DAG_FOLDER`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def check_dag_folder(folder: Path) -> list[str]:
    """Parse every DAG file in `folder`; return the DAG ids, raise on any import error."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(folder))
    if bag.import_errors:
        details = "; ".join(f"{path}: {error}" for path, error in bag.import_errors.items())
        raise RuntimeError(f"DAG import errors in {folder}: {details}")
    if not bag.dags:
        raise RuntimeError(f"no DAG found in {folder}")
    return sorted(bag.dags)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m sme_pulse.stack.check_dags DAG_FOLDER", file=sys.stderr)
        return 2
    try:
        dag_ids = check_dag_folder(Path(args[0]))
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("DAGs: " + ", ".join(dag_ids))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
