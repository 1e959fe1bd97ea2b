from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.checks import preflight
from sme_pulse.config import Settings


def live_settings(httpserver: HTTPServer, tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path), "SOURCE_MODE": "live", "HTTP_MAX_ATTEMPTS": "2",
         "WORLD_BANK_API_URL": httpserver.url_for("/v2"),
         "PROVINCES_API_URL": httpserver.url_for("/api/v1"), **extra}
    )  # fmt: skip


@pytest.mark.unit
def test_replay_checks_the_lake_and_the_recordings(tmp_path: Path) -> None:
    results = preflight.run_checks(Settings.from_env({"SME_PULSE_HOME": str(tmp_path)}))
    assert [(r.name, r.ok) for r in results] == [("lake", True), ("replay_recordings", True)]
    preflight.require(results)


@pytest.mark.unit
def test_missing_recording_is_named(tmp_path: Path) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path), "WB_INDICATORS": "NO.SUCH"})
    with pytest.raises(preflight.PreflightError, match=r"replay_recordings: .*NO\.SUCH\.json"):
        preflight.require(preflight.run_checks(settings))


@pytest.mark.integration
def test_live_mode_calls_both_apis(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/country/VN/indicator/NY.GDP.MKTP.CD").respond_with_json(
        [{"page": 1, "pages": 1, "per_page": "1", "total": 1}, []]
    )
    httpserver.expect_request("/api/v1/", query_string="depth=1").respond_with_json(
        [{"name": "Thành phố Hà Nội", "code": 1}]
    )
    results = preflight.run_checks(live_settings(httpserver, tmp_path))
    assert [r.name for r in results] == ["lake", "world_bank_api", "provinces_api"]
    assert all(r.ok for r in results), results


@pytest.mark.integration
def test_every_failed_source_is_reported_at_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/country/VN/indicator/NY.GDP.MKTP.CD").respond_with_data(
        "maintenance", status=503
    )
    httpserver.expect_request("/api/v1/").respond_with_data("gone", status=404)
    with pytest.raises(preflight.PreflightError) as failure:
        preflight.require(preflight.run_checks(live_settings(httpserver, tmp_path)))
    message = str(failure.value)
    assert "lake:" not in message and "\n" not in message
    assert "world_bank_api: world_bank:" in message and "HTTP 503" in message
    assert "provinces_api: vn_provinces: HTTP 404" in message


@pytest.mark.integration
def test_a_local_lake_that_cannot_be_written_skips_the_apis(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = live_settings(httpserver, tmp_path, LAKE_URI=str(blocker / "lake"))
    with pytest.raises(preflight.PreflightError) as failure:
        preflight.verify(settings)
    assert str(failure.value).startswith("lake: cannot write")
    assert str(failure.value).endswith(f"world_bank_api, provinces_api: {preflight.LAKE_DOWN}")
    assert len(httpserver.log) == 0


@pytest.fixture
def stopped_s3(moto_s3: Any) -> str:
    """The endpoint of a real S3 server (moto) that held the lake's bucket and was stopped."""
    server, endpoint = moto_s3()
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket="sme-lake")  # fmt: skip
    server.stop()
    return endpoint


@pytest.mark.integration
@pytest.mark.parametrize("dag", ["external", "sales"])
def test_a_stopped_object_store_fails_preflight_before_any_api_call(
    dag: str, stopped_s3: str, httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    settings = live_settings(
        httpserver, tmp_path, LAKE_URI="s3://sme-lake/lake", S3_ENDPOINT_URL=stopped_s3,
        AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
        CUSTOMER_API_URL=httpserver.url_for("/crm"),
    )  # fmt: skip
    checks = preflight.sales_checks if dag == "sales" else preflight.external_checks
    results = preflight.run_checks(settings, checks)
    with pytest.raises(preflight.PreflightError) as failure:
        preflight.require(results)
    message = str(failure.value)
    skipped = [r.name for r in results if r.skipped]
    assert results[0].name == "lake" and not results[0].ok
    assert message.startswith("lake: cannot write s3://sme-lake/lake/") and "\n" not in message
    assert skipped == (["customer_api"] if dag == "sales" else ["world_bank_api", "provinces_api"])
    assert len(httpserver.log) == 0, "no source API may be called while the lake is down"
    fault_ledger.record(
        "object store",
        f"S3 endpoint stopped during {dag} preflight (live sources)",
        expected="preflight fails first on the lake; source APIs not called",
        observed=f"one-line error naming the lake; {len(httpserver.log)} API requests; "
        f"{', '.join(skipped)} reported skipped",
    )


@pytest.mark.unit
def test_replay_dir_is_shipped_inside_the_package(tmp_path: Path) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    copy = tmp_path / "replay"
    shutil.copytree(settings.replay_dir, copy)
    assert (copy / "vn_provinces" / "v1_depth2.json").is_file()
    assert sorted(p.name for p in (copy / "world_bank").glob("*.json")) == [
        "FP.CPI.TOTL.ZG.json", "NY.GDP.MKTP.CD.json", "NY.GDP.MKTP.KD.ZG.json",
        "SL.UEM.TOTL.ZS.json"]  # fmt: skip
