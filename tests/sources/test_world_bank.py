from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.config import Settings
from sme_pulse.ingestion.drift import RecordDrift
from sme_pulse.sources import world_bank
from sme_pulse.sources.http import SourceError
from sme_pulse.sources.lineage import RunContext, bronze_key
from sme_pulse.sources.quarantine import ApiDataset
from sme_pulse.storage import Lake

RUN = RunContext("test_run", "2026-11-01", datetime(2026, 11, 1, tzinfo=UTC))
URL = "https://api.worldbank.org/v2/country/VN/indicator/NY.GDP.MKTP.CD"


def row(year: str, value: float | None, code: str = "NY.GDP.MKTP.CD") -> dict[str, object]:
    return {
        "indicator": {"id": code, "value": "GDP (current US$)"},
        "country": {"id": "VN", "value": "Viet Nam"},
        "countryiso3code": "VNM",
        "date": year,
        "value": value,
        "unit": "",
        "obs_status": "",
        "decimal": 0,
    }


def header(page: int = 1, pages: int = 1, total: int = 1, per_page: object = "100") -> dict:
    return {"page": page, "pages": pages, "per_page": per_page, "total": total,
            "sourceid": "2", "lastupdated": "2026-04-08"}  # fmt: skip


@pytest.mark.unit
def test_per_page_as_string_is_read_as_a_number() -> None:
    page = world_bank.parse_page([header(per_page="50"), [row("2024", 1.0)]], URL)
    assert page.per_page == 50
    assert page.last_updated == "2026-04-08"


@pytest.mark.unit
def test_error_envelope_with_http_200_becomes_a_clear_error() -> None:
    document = [{"message": [{"id": "120", "key": "Invalid value",
                              "value": "The provided parameter value is not valid"}]}]  # fmt: skip
    with pytest.raises(SourceError, match=r"API error 120 .*parameter value is not valid"):
        world_bank.parse_page(document, URL)


@pytest.mark.unit
def test_empty_result_has_no_rows() -> None:
    page = world_bank.parse_page([header(page=0, pages=0, total=0, per_page="50"), None], URL)
    assert (page.pages, page.total, page.rows) == (0, 0, [])


@pytest.mark.unit
@pytest.mark.parametrize("document", [{}, [], "html", [["not", "a", "header"]], [header(), {}]])
def test_unexpected_shapes_are_rejected(document: object) -> None:
    with pytest.raises(SourceError):
        world_bank.parse_page(document, URL)


@pytest.mark.unit
def test_null_values_are_kept_as_null_in_bronze(tmp_path: Path) -> None:
    page = world_bank.parse_page([header(total=2), [row("2025", None), row("2024", 1.5)]], URL)
    sink = ApiDataset(world_bank.SOURCE, world_bank.DATASET, world_bank.SCHEMA, RUN)
    for r in page.rows:
        sink.add(r, URL, *world_bank.read_row(r, page, sink.drift))
    sink.land(Lake(str(tmp_path)))
    table = Lake(str(tmp_path)).read_parquet(bronze_key("world_bank", "indicators", "2026-11-01"))
    assert table.schema.equals(world_bank.SCHEMA)
    assert table.column("value").to_pylist() == [None, 1.5]
    assert table.column("year").to_pylist() == [2025, 2024]
    assert sink.drift.describe() == "matches the contract"


@pytest.mark.unit
def test_lossless_retyping_is_converted_and_counted() -> None:
    page = world_bank.parse_page([header(total=1), []], URL)
    drift = RecordDrift()
    values, errors = world_bank.read_row(
        {**row("2024", None), "date": 2024, "value": "1.5", "decimal": "0"}, page, drift
    )
    assert errors == [] and values is not None
    assert (values["year"], values["value"], values["decimal_places"]) == (2024, 1.5, 0)
    assert drift.describe() == (
        "date sent as integer instead of text (1 record(s)); decimal sent as text instead of "
        "integer (1 record(s)); value sent as text instead of number (1 record(s))"
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"value": "abc"}, "not_convertible"),
        ({"date": "20x4"}, "not_convertible"),
        ({"value": True}, "not_convertible"),
        ({"date": None}, "required_value_missing"),
        ({"indicator": None}, "field_missing"),
    ],
)
def test_unconvertible_values_are_rejected_with_a_reason(change: dict, reason: str) -> None:
    page = world_bank.parse_page([header(total=1), []], URL)
    values, errors = world_bank.read_row({**row("2024", 1.0), **change}, page, RecordDrift())
    assert values is None and errors[0].reason == reason


@pytest.mark.unit
def test_replay_reads_the_recordings_through_the_live_parser(tmp_path: Path) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    sink = world_bank.collect(settings, RUN)
    assert (sink.read, len(sink.rows), sink.rejected) == (44, 44, [])
    table = pa.Table.from_pylist(sink.rows, world_bank.SCHEMA)
    rows = {(r["indicator_code"], r["year"]): r["value"] for r in table.to_pylist()}
    assert rows[("NY.GDP.MKTP.CD", 2024)] == 476388230307.175
    assert rows[("FP.CPI.TOTL.ZG", 2015)] == 0.631200905175754
    # Only values of one cited vintage are recorded; the rest are null (SOURCES.md).
    assert rows[("NY.GDP.MKTP.CD", 2021)] is None
    assert {rows[("NY.GDP.MKTP.KD.ZG", year)] for year in range(2015, 2026)} == {None}
    assert rows[("SL.UEM.TOTL.ZS", 2025)] is None
    assert set(table.column("run_id").to_pylist()) == {"test_run"}
    assert all(
        url.startswith(URL.rsplit("/", 1)[0]) for url in table.column("request_url").to_pylist()
    )


def serve_pages(httpserver: HTTPServer, code: str, pages: list[list[dict]]) -> None:
    for number, rows in enumerate(pages, start=1):
        httpserver.expect_request(
            f"/v2/country/VN/indicator/{code}", query_string={"format": "json",
            "date": "2023:2024", "per_page": "100", "page": str(number)},
        ).respond_with_json([header(number, len(pages), sum(map(len, pages))), rows])  # fmt: skip


@pytest.mark.integration
def test_live_mode_follows_pagination_and_writes_dated_parquet(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_pages(httpserver, "NY.GDP.MKTP.CD", [[row("2024", 2.0)], [row("2023", 1.0)]])
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path), "SOURCE_MODE": "live", "WB_YEARS": "2023:2024",
         "WB_INDICATORS": "NY.GDP.MKTP.CD", "WORLD_BANK_API_URL": httpserver.url_for("/v2")}
    )  # fmt: skip
    lake = Lake.from_settings(settings)
    written = world_bank.ingest(settings, lake, RUN)
    key = "bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet"
    assert written == {key: 2}
    table = lake.read_parquet(key)
    assert table.column("year").to_pylist() == [2024, 2023]
    assert "page=2" in table.column("request_url").to_pylist()[1]
