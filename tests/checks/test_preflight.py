from __future__ import annotations

import shutil
from pathlib import Path

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
def test_every_failed_check_is_reported_at_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/country/VN/indicator/NY.GDP.MKTP.CD").respond_with_data(
        "maintenance", status=503
    )
    httpserver.expect_request("/api/v1/").respond_with_data("gone", status=404)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = live_settings(httpserver, tmp_path, LAKE_URI=str(blocker / "lake"))
    with pytest.raises(preflight.PreflightError) as failure:
        preflight.require(preflight.run_checks(settings))
    message = str(failure.value)
    assert "lake: cannot write" in message
    assert "world_bank_api: world_bank:" in message and "HTTP 503" in message
    assert "provinces_api: vn_provinces: HTTP 404" in message


@pytest.mark.unit
def test_replay_dir_is_shipped_inside_the_package(tmp_path: Path) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    copy = tmp_path / "replay"
    shutil.copytree(settings.replay_dir, copy)
    assert (copy / "vn_provinces" / "v1_depth2.json").is_file()
    assert sorted(p.name for p in (copy / "world_bank").glob("*.json")) == [
        "FP.CPI.TOTL.ZG.json", "NY.GDP.MKTP.CD.json", "SL.UEM.TOTL.ZS.json"]  # fmt: skip
