#!/bin/sh
# One-shot MinIO setup, safe to re-run (it runs on every `make up`):
#   - the lake bucket, private (no anonymous access);
#   - the policy `sme-pulse-lake`: read, write and list inside that bucket only;
#   - the pipeline's access key (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) with only that
#     policy. Airflow, Trino and the Hive metastore use this key; the root credentials
#     stay with this script and the MinIO console.
# Re-running with a changed AWS_SECRET_ACCESS_KEY updates the key's secret (rotation).
set -eu

: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is required}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is required}"
: "${AWS_ACCESS_KEY_ID:?AWS_ACCESS_KEY_ID is required}"
: "${AWS_SECRET_ACCESS_KEY:?AWS_SECRET_ACCESS_KEY is required}"
: "${LAKE_BUCKET:?LAKE_BUCKET is required}"

case "$LAKE_BUCKET" in
  *[!a-z0-9.-]* | [.-]* | *[.-])
    echo "LAKE_BUCKET '$LAKE_BUCKET' is not a valid bucket name (a-z, 0-9, '.', '-')" >&2
    exit 1
    ;;
esac
if [ "${#LAKE_BUCKET}" -lt 3 ] || [ "${#LAKE_BUCKET}" -gt 63 ]; then
  echo "LAKE_BUCKET must be 3 to 63 characters long" >&2
  exit 1
fi
if [ "$AWS_ACCESS_KEY_ID" = "$MINIO_ROOT_USER" ]; then
  echo "AWS_ACCESS_KEY_ID must not be the MinIO root user: the pipeline gets its own key" >&2
  exit 1
fi

mc alias set lake http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

mc mb --ignore-existing "lake/$LAKE_BUCKET"
mc anonymous set none "lake/$LAKE_BUCKET"

policy_file="$(mktemp)"
sed "s/__LAKE_BUCKET__/$LAKE_BUCKET/g" /init/lake-policy.json >"$policy_file"
mc admin policy create lake sme-pulse-lake "$policy_file"
rm -f "$policy_file"

mc admin user add lake "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
if ! out="$(mc admin policy attach lake sme-pulse-lake --user "$AWS_ACCESS_KEY_ID" 2>&1)"; then
  case "$out" in
    *"already in effect"* | *"already attached"*) ;;
    *)
      echo "$out" >&2
      exit 1
      ;;
  esac
fi

echo "bucket $LAKE_BUCKET ready; pipeline key $AWS_ACCESS_KEY_ID limited to it"
