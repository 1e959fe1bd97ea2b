# The stack's Trino side without Docker, included by the top-level Makefile.
# `make trino-local` fetches pinned Trino, Hive metastore and S3Proxy releases from Maven
# Central once (checksums verified, cached in SME_PULSE_CACHE), then starts an S3
# stand-in, PostgreSQL, the metastore, a Trino coordinator and TRINO_LOCAL_WORKERS workers
# on 127.0.0.1 from the project's trino/ and hive/ files. Code: ops/sme_pulse/servers/.

.PHONY: trino-local trino-local-down trino-local-status test-trino

## trino-local: Trino + Hive metastore + S3 stand-in on this machine, no Docker; prints the URL
trino-local: $(VENV)/.synced
	$(BIN)/sme-pulse trino-local up

## trino-local-down: stop exactly what trino-local started (its data stays in SME_PULSE_HOME)
trino-local-down: $(VENV)/.synced
	$(BIN)/sme-pulse trino-local down

## trino-local-status: which trino-local servers run, by PID
trino-local-status: $(VENV)/.synced
	$(BIN)/sme-pulse trino-local status

## test-trino: both DAGs on the real Trino (resets the trino-local lake), gold equal to DuckDB
# The maintenance test expires snapshots older than one second: trino-local runs with no
# retention floor for it (it restarts Trino when the floor differs from its running one).
test-trino: export ICEBERG_MIN_RETENTION := 0s
test-trino: $(MANIFEST)
	@$(BIN)/sme-pulse trino-local up
	@rm -f $(SME_PULSE_HOME)/test-trino-*.txt
	TRINO_FIGURES=$(SME_PULSE_HOME)/test-trino-figures.txt \
		TRINO_PARITY=$(SME_PULSE_HOME)/test-trino-parity.txt $(BIN)/pytest -m trino tests/trino
	@cat $(SME_PULSE_HOME)/test-trino-figures.txt $(SME_PULSE_HOME)/test-trino-parity.txt
