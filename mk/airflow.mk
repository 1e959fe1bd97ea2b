# The Airflow UI without Docker, included by the top-level Makefile.
# `airflow standalone` (api-server, scheduler, dag-processor, triggerer) on the SQLite
# database of `make airflow-init`, listening on 127.0.0.1 only; the wrapper is
# ops/sme_pulse/orchestration/ui.py. Ctrl-C stops every component.

# Port of the UI and REST API: `make airflow AIRFLOW_PORT=8090`.
AIRFLOW_PORT ?= 8080
export AIRFLOW_PORT

.PHONY: airflow

## airflow: the Airflow UI on http://127.0.0.1:8080 (standalone, no Docker; AIRFLOW_PORT=8090 moves it), prints the login
airflow: $(MANIFEST) airflow-init
	@$(VENV_PY) -m sme_pulse.orchestration.ui --port $(AIRFLOW_PORT)
