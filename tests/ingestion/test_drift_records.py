"""The JSON record drift policy: what converts without loss, and what goes to quarantine."""

from __future__ import annotations

import pytest
from sme_pulse.ingestion.drift import (
    ContractViolationError,
    JsonField,
    JsonKind,
    RecordContract,
    RecordDrift,
    coerce,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("1.5", "number", 1.5), (" 7 ", "integer", 7), ("1e3", "integer", 1000),
        (2020, "text", "2020"), (2020.0, "integer", 2020), (3, "number", 3.0),
        ("", "number", None), ("  ", "text", None), (None, "integer", None),
        ([1], "array", [1]),
    ],
)  # fmt: skip
def test_lossless_conversions(raw: object, kind: JsonKind, expected: object) -> None:
    assert coerce(raw, kind) == expected


@pytest.mark.parametrize(
    ("raw", "kind", "says"),
    [
        ("abc", "number", "is not a number"), (True, "integer", "boolean"),
        (1.5, "integer", "not a whole number"), ("nan", "number", "not a finite number"),
        (2**40, "integer", "out of range"), (1.5, "text", "not text"),
        ({"a": 1}, "text", "object"), ("x", "array", "is not an array"),
    ],
)  # fmt: skip
def test_lossy_conversions_are_refused(raw: object, kind: JsonKind, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        coerce(raw, kind)


CONTRACT = RecordContract(
    "test_api",
    (
        JsonField("code", ("id",), "text", required=True),
        JsonField("amount", ("amount",), "number", present=True),
        JsonField("label", ("meta", "label"), "text"),
    ),
    remedy="update the test contract",
)


def test_a_record_is_read_converted_and_its_drift_counted() -> None:
    drift = RecordDrift()
    values, errors = CONTRACT.read({"id": 5, "amount": "2.5", "meta": {}, "new": 1}, drift)
    assert errors == [] and values == {"code": "5", "amount": 2.5, "label": None}
    assert drift.describe() == (
        "amount sent as text instead of number (1 record(s)); id sent as integer instead of "
        "text (1 record(s)); ignored unknown field(s): new"
    )


def test_a_field_missing_from_some_records_quarantines_those() -> None:
    values, errors = CONTRACT.read({"id": "a"}, RecordDrift())
    assert values is None and [e.reason for e in errors] == ["field_missing"]


def test_a_field_missing_from_every_record_is_a_contract_violation() -> None:
    records = [{"id": "a", "amt": 1}, {"id": "b", "amt": 2}, "not an object"]
    with pytest.raises(ContractViolationError) as failure:
        CONTRACT.require_fields(records, "http://api.test/x")
    assert str(failure.value) == (
        "test_api: field 'amount' is missing from all 2 record(s) of http://api.test/x (renamed "
        "or removed by the API); nothing was written - update the test contract"
    )
