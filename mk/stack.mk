# The Docker stack (docker-compose.yml), included by the top-level Makefile.
# Needs Docker Engine with the compose plugin (v2.24 or newer). docs/operations.md is the
# runbook; docs/scaling.md covers `make up-scale`.

COMPOSE ?= docker compose
# Seconds `make up` waits for every service to report healthy.
STACK_WAIT_TIMEOUT ?= 900
# Number of Trino workers `make up-scale` starts.
TRINO_WORKERS ?= 2
# `make logs SERVICE=airflow-scheduler` follows one service; empty follows all.
SERVICE ?=
# Compose profiles that are off by default; named so that down/clean also reach them.
STACK_ALL_PROFILES := --profile scale --profile provision

# Reads .env into the recipe's shell (compose reads it on its own).
STACK_LOAD_ENV := set -a; if [ -f .env ]; then . ./.env; fi; set +a

# Where `make smoke` keeps a copy of Trino's self-signed certificate to verify it with.
STACK_TRINO_CA := .local/trino-ca.pem

.PHONY: stack-env stack-check-env up up-scale down ps logs smoke trino metabase-provision \
	stack-config stack-clean stack-purge

## stack-env: create .env from .env.example if needed and fill every missing stack secret
stack-env: venv
	$(VENV_PY) -m sme_pulse.stack.envfile .env

## stack-check-env: refuse a missing, default or short secret in .env (one line each)
stack-check-env: venv
	@test -f .env || { echo "no .env: run 'make stack-env' first" >&2; exit 1; }
	@$(VENV_PY) -m sme_pulse.stack.envfile --check .env

## up: build the images and start the stack; returns when every service is healthy
up: stack-check-env
	$(COMPOSE) up --detach --build --wait --wait-timeout $(STACK_WAIT_TIMEOUT)
	$(COMPOSE) run --rm metabase-init

## up-scale: like up, plus Trino workers, Redis and a Celery worker (CeleryExecutor)
up-scale: stack-check-env
	AIRFLOW_EXECUTOR=CeleryExecutor TRINO_INCLUDE_COORDINATOR=false \
		$(COMPOSE) --profile scale up --detach --build --wait \
		--wait-timeout $(STACK_WAIT_TIMEOUT) --scale trino-worker=$(TRINO_WORKERS)
	AIRFLOW_EXECUTOR=CeleryExecutor $(COMPOSE) run --rm metabase-init

## down: stop and remove the containers; data volumes are kept
down:
	$(COMPOSE) $(STACK_ALL_PROFILES) down --remove-orphans

## ps: state and health of every container
ps:
	$(COMPOSE) $(STACK_ALL_PROFILES) ps --all

## logs: follow the logs (SERVICE=name for one service)
logs:
	$(COMPOSE) $(STACK_ALL_PROFILES) logs --follow --tail 200 $(SERVICE)

## smoke: trigger both DAGs through Airflow's API, wait, check the gold tables in Trino
smoke: stack-check-env
	@mkdir -p $(dir $(STACK_TRINO_CA))
	$(COMPOSE) cp airflow-scheduler:/opt/trino-ca/trino-ca.pem $(STACK_TRINO_CA)
	@$(STACK_LOAD_ENV); \
	AIRFLOW_API_URL="$${AIRFLOW_API_URL:-http://127.0.0.1:8080}" \
	TRINO_HOST=127.0.0.1 TRINO_PORT="$${TRINO_HOST_PORT:-8443}" \
	TRINO_CA_FILE=$(STACK_TRINO_CA) \
	.venv/bin/sme-pulse stack smoke

## trino: SQL shell (trino CLI inside the coordinator) as the pipeline user, over HTTPS
trino:
	@$(STACK_LOAD_ENV); TRINO_PASSWORD="$$TRINO_PIPELINE_PASSWORD" \
		$(COMPOSE) exec -e TRINO_PASSWORD trino trino \
		--server https://localhost:8443 --truststore-path /etc/trino/ca/trino-ca.pem \
		--user sme_pulse --password --catalog iceberg --schema gold

## metabase-provision: (re)create the Metabase admin, Trino database and the dashboards
metabase-provision:
	$(COMPOSE) run --rm metabase-init

## stack-config: print the resolved compose file (checks .env without starting anything)
stack-config:
	$(COMPOSE) $(STACK_ALL_PROFILES) config --quiet && echo "docker-compose.yml and .env resolve"

## stack-clean: remove the stack's containers and locally built images; keeps data volumes
stack-clean:
	@if [ -f .env ] && docker info >/dev/null 2>&1; then \
		$(COMPOSE) $(STACK_ALL_PROFILES) down --remove-orphans --rmi local; \
	else \
		echo "stack-clean: no .env or no Docker engine; nothing to remove"; \
	fi

## stack-purge: stack-clean plus the data volumes (lake, databases). CONFIRM=yes required
stack-purge:
	@test "$(CONFIRM)" = "yes" || { echo "stack-purge deletes the lake and all databases; run 'make stack-purge CONFIRM=yes'" >&2; exit 1; }
	$(COMPOSE) $(STACK_ALL_PROFILES) down --remove-orphans --rmi local --volumes
