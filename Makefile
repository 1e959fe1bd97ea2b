# SME Pulse. `make demo` and `make test` set everything up themselves: a pinned uv in
# .local/tools, the virtual environment from uv.lock, the dbt manifest, a local Airflow.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Settings from .env (see .env.example), exported to every recipe, when the file exists.
ifneq (,$(wildcard .env))
include .env
export $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env)
endif

PYTHON ?= python3
UV_VERSION := 0.13.9
# Absolute, because Airflow and dbt run from other working folders.
override SME_PULSE_HOME := $(abspath $(or $(SME_PULSE_HOME),.local))
TOOLS := $(SME_PULSE_HOME)/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
VENV_PY := $(VENV)/bin/python
BENCH_VENV := $(SME_PULSE_HOME)/bench/venv
BIN := $(VENV)/bin
DBT_DIR := $(CURDIR)/dbt
MANIFEST := dbt/target/manifest.json

# The embedded stack: everything under SME_PULSE_HOME, telemetry off.
export SME_PULSE_HOME
export DO_NOT_TRACK := 1
export SCARF_ANALYTICS := false
export AIRFLOW_HOME := $(SME_PULSE_HOME)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/airflow/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__USAGE_DATA_COLLECTION__ENABLED := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
# See docker-compose.yml: the dbt layers' `dbt build` is not retried, so no XCom backup.
export AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY := False
export AIRFLOW__COSMOS__ENABLE_ORJSON_PARSER := True
export DBT_PROJECT_DIR := $(DBT_DIR)
export DBT_PROFILES_DIR := $(DBT_DIR)
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

DBT_SOURCES := $(shell find dbt/models dbt/macros dbt/seeds dbt/tests dbt/snapshots -type f 2>/dev/null) \
	dbt/dbt_project.yml dbt/profiles.yml

.PHONY: help venv manifest airflow-init demo report test test-unit lint fmt bench clean

## help: list the targets
help:
	@grep -hE '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI), nothing else writes the
# .pyc files, and every Airflow task and dbt start would compile Airflow and dbt again
# (about 2 s per process here).
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --quiet --compile-bytecode
	@touch $@

## venv: create .venv from uv.lock (nothing else is installed by hand)
venv: $(VENV)/.synced

$(MANIFEST): $(VENV)/.synced $(DBT_SOURCES)
	$(BIN)/sme-pulse manifest
	@touch $@

## manifest: build the dbt manifest Cosmos renders the DAGs from
manifest: $(MANIFEST)

$(AIRFLOW_HOME)/.initialised: $(VENV)/.synced
	@mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || { cat $(AIRFLOW_HOME)/db-migrate.log; exit 1; }
	$(BIN)/airflow pools set duckdb_writer 1 "DuckDB allows one writing process" > /dev/null
	@touch $@

## airflow-init: a local Airflow on SQLite under $(SME_PULSE_HOME)/airflow
airflow-init: $(AIRFLOW_HOME)/.initialised

## demo: both DAGs end to end (replay + generated sales) and the business answers
demo: $(MANIFEST) airflow-init
	$(BIN)/sme-pulse demo

## report: the business report and data health as one offline HTML file, from the current
##         warehouse -> $(SME_PULSE_HOME)/report/index.html (REPORT_ARGS="--lang en")
report: $(VENV)/.synced
	$(BIN)/sme-pulse report $(REPORT_ARGS)

## test: the whole test suite (unit + integration + faults; browser tests when Chromium is
##       present); writes docs/reliability.md from the fault tests when everything passed
test: $(MANIFEST)
	SME_PULSE_RELIABILITY_DOC=docs/reliability.md $(BIN)/pytest

## test-unit: the fast tests only
test-unit: $(VENV)/.synced
	$(BIN)/pytest -m unit

## lint: ruff lint and format check (what pre-commit and CI run)
lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## fmt: apply ruff fixes and formatting
fmt: $(VENV)/.synced
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The `bench` dependency group (pandas, dlt, matplotlib) gets an environment of its own, so
# `make bench` never changes the .venv that `make test` runs in (nor a test running in it).
$(BENCH_VENV)/.synced: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(BENCH_VENV) $(UV) sync --locked --no-default-groups --group bench --quiet
	@touch $@

## bench: DAG parse and run times by Cosmos mode, dbt at 100k-10M lines, ingestion vs pandas
##        and dlt, order events producer -> bronze -> docs/benchmarks.md (about 30 min; the
##        first run also generates the data)
bench: $(MANIFEST) $(BENCH_VENV)/.synced airflow-init
	@SECONDS=0; set -e; \
	unset PYTHONDONTWRITEBYTECODE; \
	echo "$(VENV_PY) benchmarks/bench_dag_parse.py"; \
	$(VENV_PY) benchmarks/bench_dag_parse.py; \
	echo "$(VENV_PY) benchmarks/bench_dag_runs.py"; \
	$(VENV_PY) benchmarks/bench_dag_runs.py; \
	echo "$(VENV_PY) benchmarks/bench_dbt_scale.py"; \
	$(VENV_PY) benchmarks/bench_dbt_scale.py; \
	echo "$(BENCH_VENV)/bin/python benchmarks/bench_ingest_compare.py $(BENCH_ARGS)"; \
	$(BENCH_VENV)/bin/python benchmarks/bench_ingest_compare.py $(BENCH_ARGS); \
	echo "$(VENV_PY) benchmarks/bench_stream.py"; \
	$(VENV_PY) benchmarks/bench_stream.py; \
	echo "make bench took $$((SECONDS / 60)) min $$((SECONDS % 60)) s"

## clean: remove the local lake, warehouse, Airflow home and dbt build output
clean: stack-clean
	rm -rf $(SME_PULSE_HOME)/lake $(SME_PULSE_HOME)/landing $(SME_PULSE_HOME)/airflow \
		$(SME_PULSE_HOME)/warehouse.duckdb* dbt/target dbt/logs

include mk/airflow.mk
include mk/stack.mk
include mk/trino-local.mk
include mk/kafka-local.mk
include mk/security.mk
