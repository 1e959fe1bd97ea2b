"""The input limits of `ingestion.readers`: landing names, file size, zip bombs, long rows."""

from __future__ import annotations

import io
import random
import zipfile

import pytest
from sme_pulse.config import ConfigError, LandingLimits, Settings
from sme_pulse.ingestion.readers import (
    MAX_KEY_BYTES,
    landing_object_problem,
    too_long_row,
    unsafe_key_reason,
    xlsx_archive_problem,
)

pytestmark = pytest.mark.unit

LIMITS = LandingLimits(
    max_file_bytes=1000, max_row_bytes=100, max_unzipped_bytes=4 << 20, max_zip_ratio=50
)


@pytest.mark.parametrize(
    "key", ["orders.csv", "2024/02/orders.csv", "đơn hàng tháng 2.xlsx", "a..b.csv", ".hidden.csv"]
)
def test_ordinary_names_are_safe(key: str) -> None:
    assert unsafe_key_reason(key) is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("../escape.csv", "'..'"),
        ("a/../../b.csv", "'..'"),
        ("./a.csv", "'..'"),
        ("a/./b.csv", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:/data/a.csv", "absolute"),
        ("a\\..\\b.csv", "backslash"),
        ("a\x00.csv", "U+0000"),
        ("a\nb.csv", "U+000A"),
        ("a\x7f.csv", "U+007F"),
        ("a//b.csv", "empty path segment"),
        ("x" * (MAX_KEY_BYTES + 1), "longer than"),
    ],
)
def test_names_that_could_leave_the_prefix_are_refused(key: str, reason: str) -> None:
    found = unsafe_key_reason(key)
    assert found is not None and reason in found and "\n" not in found


def test_size_limit_is_checked_after_the_name() -> None:
    assert landing_object_problem("a.csv", 1000, LIMITS) is None
    assert "LANDING_MAX_FILE_MB" in (landing_object_problem("a.csv", 1001, LIMITS) or "")
    assert "'..'" in (landing_object_problem("../a.csv", 1, LIMITS) or "")


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_zip_ratio_and_unzipped_size_limits() -> None:
    assert xlsx_archive_problem(_zip(small=b"<x/>" * 1000), LIMITS) is None
    bomb = xlsx_archive_problem(_zip(pad=bytes(2 << 20)), LIMITS)
    assert bomb is not None and "zip bomb" in bomb and "XLSX_MAX_ZIP_RATIO" in bomb
    noise = random.Random(0).randbytes(5 << 20)
    big = xlsx_archive_problem(_zip(noise=noise), LIMITS)
    assert big is not None and "XLSX_MAX_UNZIPPED_MB" in big
    assert "not a readable XLSX" in (xlsx_archive_problem(b"PK\x03\x04 broken", LIMITS) or "")


def test_a_too_long_row_keeps_its_start_and_names_its_size() -> None:
    row = too_long_row(7, b'{"order_id": "' + b"x" * 500 + b'"}', 100)
    assert row.number == 7 and row.values == {}
    assert isinstance(row.source, str) and row.source.startswith('{"order_id": "xxx')
    assert len(row.source) < 300
    assert row.defect is not None and row.defect.reason == "row_too_long"
    assert "516 bytes" in row.defect.message


def test_limits_come_from_the_environment_with_documented_defaults() -> None:
    assert Settings.from_env({}).landing_limits == LandingLimits()
    limits = Settings.from_env(
        {
            "LANDING_MAX_FILE_MB": "10",
            "LANDING_MAX_ROW_KB": "64",
            "XLSX_MAX_UNZIPPED_MB": "20",
            "XLSX_MAX_ZIP_RATIO": "30",
        }
    ).landing_limits
    assert limits == LandingLimits(10 << 20, 64 << 10, 20 << 20, 30)
    with pytest.raises(ConfigError, match="positive"):
        Settings.from_env({"XLSX_MAX_ZIP_RATIO": "0"})
