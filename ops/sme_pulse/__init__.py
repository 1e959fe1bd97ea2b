"""SME Pulse: ingestion, storage, checks and orchestration glue for the lakehouse.

Named `sme_pulse`, not `ops`, so it can be installed next to anything else and imported
the same way by the CLI, the Airflow DAGs, the Docker image and the tests.
"""
