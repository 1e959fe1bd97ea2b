"""Sales ingestion round trip with the landing area and the lake on S3 (moto server)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.sales import SalesIngestError, ingest_sales
from sme_pulse.sources.lineage import RunContext

pytestmark = pytest.mark.integration

BUCKET = "sme-lake"


@pytest.fixture
def s3(s3_endpoint: str) -> Iterator[Any]:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def s3_settings(endpoint: str, bucket: str = BUCKET) -> Settings:
    return Settings.from_env(
        {
            "LAKE_URI": f"s3://{bucket}/lake",
            "LANDING_URI": f"s3://{bucket}/landing",
            "S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    )


def keys(client: Any, prefix: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def rows_under(client: Any, prefix: str) -> int:
    """Rows in the Parquet objects below `prefix` (pyarrow leaves empty folder markers)."""
    total = 0
    for key in keys(client, prefix):
        if not key.endswith(".parquet"):
            continue
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        total += pq.read_table(io.BytesIO(body)).num_rows
    return total


def test_sales_round_trip_on_s3(s3: Any, s3_endpoint: str, tmp_path: Path, run: RunContext) -> None:
    summary = generate(tmp_path, GeneratorConfig(customers=60, seed=3, dirty_share=0.05))
    for path in sorted((tmp_path / "landing").iterdir()):
        s3.put_object(Bucket=BUCKET, Key=f"landing/{path.name}", Body=path.read_bytes())
    settings = s3_settings(s3_endpoint)

    report = ingest_sales(settings, run)
    assert not report.failed
    assert all(f.balanced for f in report.files)
    assert report.rows_quarantined == summary.expected_quarantined
    assert rows_under(s3, "lake/bronze/sales/order_lines/") == report.rows_loaded
    assert rows_under(s3, "lake/quarantine/sales/order_lines/") == report.rows_quarantined
    manifests = keys(s3, "lake/bronze/sales/load_manifest/")
    assert len(manifests) == len(summary.files)

    before = keys(s3, "lake/")
    again = ingest_sales(settings, run)
    assert {f.status for f in again.files} == {"unchanged"}
    assert keys(s3, "lake/") == before

    name = "tiktok_shop_orders.jsonl"
    first_line = (tmp_path / "landing" / name).read_text(encoding="utf-8").splitlines()[0]
    s3.put_object(Bucket=BUCKET, Key=f"landing/{name}", Body=(first_line + "\n").encode())
    third = {f.name: f for f in ingest_sales(settings, run).files}
    assert third[name].status == "loaded" and third[name].superseded_sha256
    part_prefix = "lake/bronze/sales/order_lines/file_slug=tiktok_shop_orders.jsonl/"
    assert rows_under(s3, part_prefix) == third[name].rows_loaded
    assert json.loads(first_line)["order_id"]


def test_a_missing_bucket_is_a_clear_error(s3_endpoint: str, run: RunContext) -> None:
    with pytest.raises(SalesIngestError, match="does not exist"):
        ingest_sales(s3_settings(s3_endpoint, bucket="no-such-bucket"), run)
