# The Airflow UI without Docker, included by the top-level Makefile.
# `airflow standalone` (api-server, scheduler, dag-processor, triggerer) on the SQLite
# database of `make airflow-init`, listening on 127.0.0.1 only; the wrapper is
# ops/sme_pulse/orchestration/ui.py. Ctrl-C stops every component.

# Port of the UI and REST API: `make airflow AIRFLOW_PORT=8090`.
AIRFLOW_PORT ?= 8080
export AIRFLOW_PORT

# The dbt docs site Cosmos's plugin serves in the UI's Browse menu ("dbt Docs").
DBT_DOCS := dbt/target/docs/index.html

.PHONY: airflow dbt-docs

$(DBT_DOCS): $(MANIFEST)
	$(VENV_PY) -m sme_pulse.orchestration.dbt_docs

## dbt-docs: the dbt docs site in dbt/target/docs (with the warehouse's catalog once it is built)
dbt-docs: $(MANIFEST)
	$(VENV_PY) -m sme_pulse.orchestration.dbt_docs

## airflow: the Airflow UI on http://127.0.0.1:8080 (standalone, no Docker; AIRFLOW_PORT=8090 moves it), prints the login
airflow: $(MANIFEST) $(DBT_DOCS) airflow-init
	@$(VENV_PY) -m sme_pulse.orchestration.ui --port $(AIRFLOW_PORT)
