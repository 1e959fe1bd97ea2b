from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.config import Settings
from sme_pulse.sources import world_bank
from sme_pulse.sources.http import SourceError
from sme_pulse.sources.lineage import RunContext
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
def test_null_values_are_kept_as_null_in_bronze() -> None:
    page = world_bank.parse_page([header(total=2), [row("2025", None), row("2024", 1.5)]], URL)
    flat = [world_bank.flatten_row(r, page) | RUN.lineage("world_bank", URL) for r in page.rows]
    table = world_bank.to_table(flat)
    assert table.schema.equals(world_bank.SCHEMA)
    assert table.column("value").to_pylist() == [None, 1.5]
    assert table.column("year").to_pylist() == [2025, 2024]


@pytest.mark.unit
def test_replay_reads_the_recordings_through_the_live_parser(tmp_path: Path) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    table = world_bank.collect(settings, RUN)
    assert table.num_rows == 33
    rows = {(r["indicator_code"], r["year"]): r["value"] for r in table.to_pylist()}
    assert rows[("NY.GDP.MKTP.CD", 2024)] == 476388230307.175
    assert rows[("FP.CPI.TOTL.ZG", 2015)] == pytest.approx(0.63120090517572)
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


@pytest.mark.integration
def test_live_error_envelope_fails_the_ingestion(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/country/VN/indicator/BAD.CODE").respond_with_data(
        json.dumps(
            [{"message": [{"id": "120", "key": "Invalid value", "value": "bad indicator"}]}]
        ),
        content_type="application/json",
    )
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path), "SOURCE_MODE": "live", "WB_INDICATORS": "BAD.CODE",
         "WORLD_BANK_API_URL": httpserver.url_for("/v2")}
    )  # fmt: skip
    with pytest.raises(SourceError, match=r"API error 120.*bad indicator"):
        world_bank.ingest(settings, Lake.from_settings(settings), RUN)
    assert not list(Lake.from_settings(settings).list("bronze/"))


@pytest.mark.integration
def test_live_empty_series_is_an_error(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v2/country/VN/indicator/NY.GDP.MKTP.CD").respond_with_json(
        [header(page=0, pages=0, total=0), None]
    )
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path), "SOURCE_MODE": "live", "WB_INDICATORS": "NY.GDP.MKTP.CD",
         "WORLD_BANK_API_URL": httpserver.url_for("/v2")}
    )  # fmt: skip
    with pytest.raises(SourceError, match="no observations for VN"):
        world_bank.collect(settings, RUN)
