#!/bin/sh
# One-shot, safe to re-run (it runs on every `make up`): one login role and one database
# per consumer, each role owning only its database.
#   airflow   -> database airflow   (Airflow metadata)
#   hive      -> database metastore (Hive metastore)
#   metabase  -> database metabase  (Metabase application data)
# The roles' passwords are (re)set from the environment each time, so a password changed
# in .env reaches Postgres on the next `make up` (docs/operations.md, rotating secrets).
# Passwords travel as psql variables and are quoted by psql (:'var'), never spliced into
# SQL text.
set -eu

: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD is required}"
: "${HIVE_METASTORE_DB_PASSWORD:?HIVE_METASTORE_DB_PASSWORD is required}"
: "${METABASE_DB_PASSWORD:?METABASE_DB_PASSWORD is required}"

psql -v ON_ERROR_STOP=1 --no-psqlrc \
  -v airflow_password="$AIRFLOW_DB_PASSWORD" \
  -v hive_password="$HIVE_METASTORE_DB_PASSWORD" \
  -v metabase_password="$METABASE_DB_PASSWORD" \
  -f /init/databases.sql
