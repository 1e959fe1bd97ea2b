#!/bin/bash
# Starts the standalone metastore against Postgres.
#
# Replaces the image's entrypoint so that the schema step is always
# `schematool -initOrUpgradeSchema`: it creates the schema on the first start, upgrades it
# after an image upgrade and does nothing otherwise, so a restart never fails on
# "schema already exists". The JDBC settings are passed as system properties built from
# the environment, so the password never lands in a file.
set -euo pipefail

: "${HIVE_METASTORE_DB_PASSWORD:?HIVE_METASTORE_DB_PASSWORD is required}"
: "${LAKE_BUCKET:?LAKE_BUCKET is required}"

SERVICE_OPTS="-Djavax.jdo.option.ConnectionDriverName=org.postgresql.Driver"
SERVICE_OPTS+=" -Djavax.jdo.option.ConnectionURL=jdbc:postgresql://${HIVE_METASTORE_DB_HOST:-postgres}:5432/metastore"
SERVICE_OPTS+=" -Djavax.jdo.option.ConnectionUserName=hive"
SERVICE_OPTS+=" -Djavax.jdo.option.ConnectionPassword=${HIVE_METASTORE_DB_PASSWORD}"
SERVICE_OPTS+=" -Dmetastore.warehouse.dir=s3a://${LAKE_BUCKET}/warehouse"
export HADOOP_CLIENT_OPTS="${HADOOP_CLIENT_OPTS:-} -Xmx${METASTORE_HEAP:-1g} ${SERVICE_OPTS}"
export HIVE_CONF_DIR="${HIVE_HOME}/conf"
export METASTORE_PORT=9083

"${HIVE_HOME}/bin/schematool" -dbType postgres -initOrUpgradeSchema

exec "${HIVE_HOME}/bin/hive" --skiphadoopversion --skiphbasecp --service metastore
