from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError
from sme_pulse.sources import provinces
from sme_pulse.sources.lineage import RunContext
from sme_pulse.sources.quarantine import ApiDataset
from sme_pulse.storage import Lake

RUN = RunContext("test_run", "2026-11-01", datetime(2026, 11, 1, tzinfo=UTC))
RECORDING = Path(provinces.__file__).parent.parent / "replay/vn_provinces/v1_depth2.json"

HA_NOI_V1 = {
    "name": "Thành phố Hà Nội", "code": 1, "division_type": "thành phố trung ương",
    "codename": "thanh_pho_ha_noi", "phone_code": 24,
    "districts": [
        {"name": "Quận Ba Đình", "code": 1, "division_type": "quận", "codename": "quan_ba_dinh",
         "province_code": 1, "short_codename": "ba_dinh", "wards": []},
        {"name": "Quận Hoàn Kiếm", "code": 2, "division_type": "quận",
         "codename": "quan_hoan_kiem", "province_code": 1, "wards": None},
    ],
}  # fmt: skip


def parse(document: object, version: provinces.ApiVersion = "v1") -> provinces.Hierarchy:
    return provinces.parse(document, version, "http://provinces.test/api/v1/?depth=2", RUN)


def bare(dataset: ApiDataset) -> list[dict[str, object]]:
    """The dataset's rows without lineage."""
    lineage = set(RUN.lineage("", ""))
    return [{k: v for k, v in row.items() if k not in lineage} for row in dataset.rows]


@pytest.mark.unit
def test_v1_codes_become_zero_padded_gso_codes() -> None:
    parsed = parse([HA_NOI_V1])
    assert parsed.provinces.rows[0]["province_code"] == "01"
    assert [d["district_code"] for d in parsed.children.rows] == ["001", "002"]
    assert {d["province_code"] for d in parsed.children.rows} == {"01"}
    assert [d["ward_count"] for d in parsed.children.rows] == [0, 0]
    assert parsed.provinces.drift.describe() == "matches the contract"


@pytest.mark.unit
def test_the_recording_holds_63_provinces_and_696_districts() -> None:
    parsed = parse(json.loads(RECORDING.read_text(encoding="utf-8")))
    assert (len(parsed.provinces.rows), parsed.provinces.rejected) == (63, [])
    assert (len(parsed.children.rows), parsed.children.rejected) == (696, [])
    codes = {p["province_code"] for p in parsed.provinces.rows}
    assert {d["province_code"] for d in parsed.children.rows} <= codes
    hcm = next(p for p in parsed.provinces.rows if p["province_code"] == "79")
    assert hcm["province_name"] == "Thành phố Hồ Chí Minh"
    assert hcm["division_type"] == "thành phố trung ương"


@pytest.mark.unit
def test_v2_provinces_carry_wards_and_no_districts() -> None:
    document = [
        {"name": "Thành phố Hà Nội", "code": 1, "division_type": "thành phố trung ương",
         "codename": "ha_noi", "phone_code": 24,
         "wards": [{"name": "Phường Ba Đình", "code": 4, "division_type": "phường",
                    "codename": "phuong_ba_dinh", "province_code": 1}]},
        {"name": "Tỉnh Cao Bằng", "code": 4, "division_type": "tỉnh", "codename": "cao_bang",
         "phone_code": 206, "wards": None},
    ]  # fmt: skip
    parsed = parse(document, "v2")
    assert parsed.child_level == "ward"
    assert bare(parsed.children) == [
        {"ward_code": "00004", "ward_name": "Phường Ba Đình", "codename": "phuong_ba_dinh",
         "division_type": "phường", "province_code": "01", "api_version": "v2"}
    ]  # fmt: skip


@pytest.mark.unit
@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "expected a JSON array"),
        ([], "no provinces"),
        ([{"name": "X", "districts": []}], "field 'code' is missing from all 1 record"),
        ([{"name": "X", "code": 1}], "field 'districts' is missing from all 1 record"),
    ],
)  # fmt: skip
def test_malformed_documents_and_vanished_fields_fail(document: object, message: str) -> None:
    with pytest.raises(SmePulseError, match=message):
        parse(document)


@pytest.mark.unit
def test_bad_records_are_quarantined_with_their_units() -> None:
    other = {**HA_NOI_V1["districts"][0], "code": 3, "province_code": 79}
    document = [
        {**HA_NOI_V1, "districts": [*HA_NOI_V1["districts"], other]},
        {**HA_NOI_V1, "code": "abc", "name": "Bad code"},
        {**HA_NOI_V1, "code": 2, "phone_code": "24", "districts": "none"},
        "not an object",
    ]
    parsed = parse(document)
    assert [p["province_code"] for p in parsed.provinces.rows] == ["01"]
    assert [r["reason"] for r in parsed.provinces.rejected] == [
        "not_convertible", "not_convertible", "not_an_object"]  # fmt: skip
    assert [r["reason"] for r in parsed.children.rejected] == [
        "names_another_province", "parent_rejected", "parent_rejected"]  # fmt: skip
    assert (parsed.provinces.read, parsed.children.read) == (4, 5)
    assert parsed.provinces.drift.describe() == "matches the contract"


@pytest.mark.unit
def test_version_follows_the_base_url() -> None:
    assert provinces.version_of("https://provinces.open-api.vn/api/v1") == "v1"
    assert provinces.version_of("https://provinces.open-api.vn/api/v2/") == "v2"


@pytest.mark.integration
def test_live_v1_lands_provinces_and_districts(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/api/v1/", query_string="depth=2").respond_with_json([HA_NOI_V1])
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path), "SOURCE_MODE": "live",
         "PROVINCES_API_URL": httpserver.url_for("/api/v1")}
    )  # fmt: skip
    lake = Lake.from_settings(settings)
    written = provinces.ingest(settings, lake, RUN)
    assert written == {
        "bronze/vn_provinces/provinces/ingest_date=2026-11-01/part-0.parquet": 1,
        "bronze/vn_provinces/districts/ingest_date=2026-11-01/part-0.parquet": 2,
    }
    districts = lake.read_parquet(
        "bronze/vn_provinces/districts/ingest_date=2026-11-01/part-0.parquet"
    )
    assert districts.schema.equals(provinces.DISTRICT_SCHEMA)
    assert districts.column("request_url").to_pylist()[0].endswith("/api/v1/?depth=2")


@pytest.mark.integration
def test_rerunning_the_same_day_rewrites_the_same_partition(tmp_path: Path) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    lake = Lake.from_settings(settings)
    first = provinces.ingest(settings, lake, RUN)
    second = provinces.ingest(settings, lake, RUN)
    assert first == second
    assert sorted(o.key for o in lake.list("bronze/")) == sorted(first)
