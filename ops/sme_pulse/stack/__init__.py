"""Support code for the Docker stack (`make up`): the end-to-end smoke test, the checks the
image build runs, the Airflow admin, Trino's login and TLS files, and the `.env` secret
generator and checker.

Nothing here is imported by the pipeline itself; it exists so that the stack's moving
parts are plain, tested Python instead of shell embedded in YAML.
"""
