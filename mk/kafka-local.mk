# A Kafka broker without Docker, included by the top-level Makefile.
# `make kafka-local` fetches the pinned Kafka server jars from Maven Central once
# (checksums verified, cached in SME_PULSE_CACHE), starts one broker in KRaft mode
# (broker and controller in one process) on 127.0.0.1:KAFKA_LOCAL_PORT and creates the
# declared topics. Code: ops/sme_pulse/servers/kafka_local.py, ops/sme_pulse/stream/topics.py.

.PHONY: kafka-local kafka-local-down kafka-local-status

## kafka-local: one Kafka broker (KRaft) on this machine, no Docker; creates the topics
kafka-local: $(VENV)/.synced
	$(BIN)/sme-pulse kafka-local up

## kafka-local-down: stop exactly the broker kafka-local started (its data stays)
kafka-local-down: $(VENV)/.synced
	$(BIN)/sme-pulse kafka-local down

## kafka-local-status: whether the kafka-local broker runs, by PID
kafka-local-status: $(VENV)/.synced
	$(BIN)/sme-pulse kafka-local status
