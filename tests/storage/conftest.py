"""A lake on a folder and on a moto S3 server, for tests that must hold on both."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from sme_pulse.config import S3Settings
from sme_pulse.storage import Lake


def s3_lake(endpoint: str, bucket: str) -> Lake:
    creds = S3Settings(endpoint, "testing", "testing", "us-east-1")
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing", region_name="us-east-1",
    ).create_bucket(Bucket=bucket)  # fmt: skip
    return Lake(f"s3://{bucket}", creds)


@pytest.fixture(params=["folder", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    if request.param == "folder":
        return Lake(str(tmp_path / "lake"))
    return s3_lake(request.getfixturevalue("s3_endpoint"), f"lake-{tmp_path.name[-20:].lower()}")
