"""The build-time DAG import check fails on a broken DAG and lists the good ones."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

GOOD_DAG = """
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="good_dag", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"))
def good_dag():
    @task
    def noop():
        return None

    noop()


good_dag()
"""


@pytest.fixture
def airflow_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "airflow-home"
    home.mkdir()
    monkeypatch.setenv("AIRFLOW_HOME", str(home))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    monkeypatch.setenv("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
    return home


def test_good_folder_lists_its_dags_and_broken_one_fails(tmp_path, airflow_home) -> None:
    from sme_pulse.stack.check_dags import check_dag_folder, main

    good = tmp_path / "good"
    good.mkdir()
    (good / "good_dag.py").write_text(GOOD_DAG)
    assert check_dag_folder(good) == ["good_dag"]

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "good_dag.py").write_text(GOOD_DAG)
    (broken / "broken_dag.py").write_text("from airflow.sdk import dag\n1 / 0\n")
    with pytest.raises(RuntimeError, match=r"broken_dag\.py"):
        check_dag_folder(broken)
    assert main([str(broken)]) == 1
    assert main([]) == 2
