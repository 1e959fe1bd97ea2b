"""Synthetic sales exports and CRM customers for a Vietnamese SME, deterministic per seed.

`generate(out, config)` writes:

* `out/landing/` - the channel exports (see `exports`), dated orders from `start` to
  `end`, line-grain, with a configurable share of dirty rows;
* `out/crm/customers.jsonl` - the CRM customers the feed simulator serves;
* `out/generation_summary.json` - what was written, including how many rows of each
  file the contract should quarantine, so tests and demos can check the pipeline;
* with `answer_key`, `out/answer_key/orders.jsonl` - every order as it really was: its
  customer (null for a walk-in), header and lines, and the dirty kind each line was
  written with. Tests recompute gold from it instead of re-parsing the exports, so a
  rule of the pipeline is checked against the truth rather than against itself.

Days are generated in order and lines are streamed to their files as they are made, so
memory holds the customers and one day of orders, never the lines: a million lines
needs no more memory than a thousand.

Dirty rows (each dirty line gets one kind):
`duplicate` (the line written twice; kept by bronze, deduplicated in silver),
`email_variant` (email upper-cased and padded with spaces; kept, normalised),
`bad_date` ('30/02/2024 ...', '0000-00-00 00:00:00': quarantined),
`negative_quantity` (quarantined), `unknown_province` ('99' and other unused codes:
quarantined), `bad_amount` ('12O.000', '#VALUE!': quarantined).
Customer records get `unknown_province`, `zero_created_at` and `blank_name`, all
quarantined by the customer contract.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from sme_pulse.errors import SmePulseError
from sme_pulse.feeds.exports import CHANNEL_DIALECTS, SINGLE_CSV, Dialect, Sink
from sme_pulse.feeds.people import (
    Customer,
    CustomerPicker,
    crm_record,
    format_phone,
    make_customers,
    weighted,
)
from sme_pulse.feeds.seasons import (
    MARKETPLACES,
    ONLINE_HOURS,
    POS_HOURS,
    channel_weights,
    check_years,
    date_range,
    in_tet_rush,
)
from sme_pulse.feeds.vocab import Product, Store, Vocab, load_vocab
from sme_pulse.ingestion.admin_units import REFORM_DATE, AdminUnits, load_admin_units
from sme_pulse.ingestion.values import VN_TZ, ascii_key

REJECTED_KINDS = ("bad_date", "negative_quantity", "unknown_province", "bad_amount")
LINE_KINDS = ("duplicate", "email_variant", *REJECTED_KINDS)
CRM_KINDS = ("unknown_province", "zero_created_at", "blank_name")
CARRIERS = ("SPX Express", "Giao Hàng Nhanh", "Giao Hàng Tiết Kiệm", "J&T Express", "Viettel Post")
BAD_AMOUNTS = ("12O.000", "#VALUE!", "N/A", "1.250.5OO")
UNKNOWN_PROVINCES = ("99", "00", "65", "69", "85", "97")


class GeneratorError(SmePulseError, ValueError):
    """The generation settings are unusable; the message says which and why."""


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 1000
    seed: int = 42
    orders_per_customer: float = 4.0
    lines_per_order: float = 2.5
    dirty_share: float = 0.02
    start: date = date(2023, 1, 1)
    end: date = date(2025, 12, 31)
    single_csv: bool = False
    """Write every channel to one canonical CSV (benchmarks) instead of per-channel exports."""
    max_lines: int | None = None
    """Stop after this many lines (the last day is cut short)."""
    order_number_offset: int = 0
    """Order numbers start after this one: a later export of a shop continues its numbering
    instead of re-issuing ids its earlier exports used."""
    answer_key: bool = False
    """Also write `answer_key/orders.jsonl` (see the module docstring)."""

    def check(self) -> None:
        if self.order_number_offset < 0:
            raise GeneratorError("order number offset must not be negative")
        if self.customers < 1:
            raise GeneratorError("customers must be at least 1")
        if self.orders_per_customer <= 0 or self.lines_per_order < 1:
            raise GeneratorError("orders per customer must be > 0 and lines per order >= 1")
        if not 0 <= self.dirty_share <= 0.5:
            raise GeneratorError("dirty share must be between 0 and 0.5")
        if self.end < self.start:
            raise GeneratorError(f"end {self.end} is before start {self.start}")
        try:
            check_years(self.start, self.end)
        except ValueError as exc:
            raise GeneratorError(str(exc)) from exc


@dataclass
class FileSummary:
    rows: int = 0
    dirty: dict[str, int] = field(default_factory=dict)

    @property
    def expected_quarantined(self) -> int:
        return sum(self.dirty.get(kind, 0) for kind in REJECTED_KINDS)


@dataclass
class GenerationSummary:
    config: dict[str, Any]
    orders: int
    lines: int
    customers: int
    files: dict[str, FileSummary]
    crm_dirty: dict[str, int]

    @property
    def expected_quarantined(self) -> int:
        return sum(f.expected_quarantined for f in self.files.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "orders": self.orders,
            "lines": self.lines,
            "customers": self.customers,
            "files": {
                name: {**asdict(s), "expected_quarantined": s.expected_quarantined}
                for name, s in self.files.items()
            },
            "expected_quarantined": self.expected_quarantined,
            "crm": {
                "dirty": self.crm_dirty,
                "expected_quarantined": sum(self.crm_dirty.values()),
            },
        }


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small."""
    if mean <= 0:
        return 0
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _base36(number: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text.rjust(width, "0")


def _order_id(channel: str, seq: int, day: date) -> str:
    """Ids shaped like each platform's, unique per channel by construction."""
    if channel == "pos":
        return f"HD{seq:07d}"
    if channel == "shopee":
        return f"{day:%y%m%d}{_base36(seq * 7919 + 104_729, 8)}"
    if channel == "lazada":
        return str(300_000_000_000_000 + seq * 13)
    if channel == "tiktok_shop":
        return str(576_460_752_303_423_488 + seq * 97)
    return f"WEB{day.year}-{seq:06d}"


def _strip_accents(name: str) -> str:
    return " ".join(part.capitalize() for part in ascii_key(name).split("_"))


class _Generator:
    def __init__(self, out: Path, config: GeneratorConfig) -> None:
        self.out = out
        self.config = config
        self.rng = random.Random(config.seed)
        self.vocab: Vocab = load_vocab()
        self.units: AdminUnits = load_admin_units()
        self.sinks: dict[str, Sink] = {}
        self.answers: IO[str] | None = None
        self.summaries: dict[str, FileSummary] = {}
        self.sequences: Counter[str] = Counter()
        self.lines = 0
        self.orders = 0
        self.unknown_provinces = [c for c in UNKNOWN_PROVINCES if c not in self.units.old_provinces]

    def _dialect(self, channel: str) -> Dialect:
        return SINGLE_CSV if self.config.single_csv else CHANNEL_DIALECTS[channel]

    def _sink(self, dialect: Dialect, year: int) -> tuple[Sink, FileSummary]:
        name = dialect.file_name(year)
        if name not in self.sinks:
            self.sinks[name] = Sink(self.out / "landing" / name, dialect)
            self.summaries[name] = FileSummary()
        return self.sinks[name], self.summaries[name]

    def _products(self, day: date, count: int) -> list[Product]:
        products = self.vocab.products
        rush = in_tet_rush(day)
        weights = [p.tet_boost if rush else 1.0 for p in products]
        chosen: dict[str, Product] = {}
        while len(chosen) < min(count, len(products)):
            product = self.rng.choices(products, weights)[0]
            chosen.setdefault(product.sku, product)
        return list(chosen.values())

    def _status(self, channel: str, day: date) -> str:
        mix = self.vocab["status_mix"]["pos" if channel == "pos" else "online"]
        status = weighted(self.rng, list(mix.items()))
        if status == "completed" and channel != "pos" and (self.config.end - day).days < 3:
            return "pending" if self.rng.random() < 0.6 else status
        return status

    def _payment(self, channel: str) -> str:
        key = "pos" if channel == "pos" else "marketplace" if channel in MARKETPLACES else "website"
        return weighted(self.rng, self.vocab["payment_mix"][key])

    def _address(
        self, channel: str, day: date, customer: Customer | None
    ) -> tuple[Store | None, str | None, str | None]:
        """(store, province, district): the shop's for POS, the buyer's otherwise."""
        if channel == "pos":
            store = self.rng.choices(self.vocab.stores, [s.weight for s in self.vocab.stores])[0]
            if day >= REFORM_DATE:
                return store, self.units.crosswalk[store.province_code], None
            return store, store.province_code, store.district_code
        if customer is not None:
            return None, *customer.province_on(day, self.units)
        return None, None, None

    def _order_lines(
        self, channel: str, moment: datetime, customer: Customer | None
    ) -> list[dict[str, Any]]:
        rng = self.rng
        day = moment.date()
        self.sequences[channel] += 1
        order_id = _order_id(
            channel, self.config.order_number_offset + self.sequences[channel], day
        )
        store, province, district = self._address(channel, day, customer)
        name = customer.full_name if customer else None
        if name and channel in MARKETPLACES and rng.random() < 0.3:
            name = _strip_accents(name)
        # Marketplaces do not know the shop's own customer ids; POS and website do.
        member_id = customer.customer_id if customer and channel in ("pos", "website") else None
        phone = format_phone(rng, customer.phone) if customer and customer.phone else None
        header = {
            "order_id": order_id,
            "order_ts": moment,
            "channel": channel,
            "status": self._status(channel, day),
            "store_id": store.store_id if store else None,
            "customer_id": member_id,
            "customer_name": name,
            "customer_email": customer.email if customer else None,
            "customer_phone": phone,
            "province_code": province,
            "district_code": district,
            "currency": "VND",
            "payment_method": self._payment(channel),
            "voucher_code": rng.choice(("", "", "FREESHIP", "SALE10K", "TET2025")),
            "shipping_carrier": rng.choice(CARRIERS),
            "creator_handle": (
                f"@{ascii_key(customer.full_name).split('_')[-1]}.review{rng.randrange(100)}"
                if customer and rng.random() < 0.25
                else None
            ),
        }
        dialect = self._dialect(channel)
        count = 1 + _poisson(rng, self.config.lines_per_order - 1)
        lines = []
        for line_no, product in enumerate(self._products(day, count), start=1):
            quantity = 1 if rng.random() < 0.7 else rng.randint(2, 5)
            if product.category == "Quà Tết" and in_tet_rush(day) and rng.random() < 0.1:
                quantity = rng.randint(5, 30)
            gross = quantity * product.price_vnd
            discount = (
                int(gross * rng.uniform(0.05, 0.2)) // 1000 * 1000
                if rng.random() < 0.25 and dialect.has("discount_vnd")
                else 0
            )
            lines.append(
                {
                    **header,
                    "line_no": line_no,
                    "sku": product.sku,
                    "product_name": product.name,
                    "category": product.category,
                    "quantity": quantity,
                    "unit_price_vnd": product.price_vnd,
                    "discount_vnd": discount,
                    "line_total_vnd": gross - discount,
                    "lazada_item_id": str(2_000_000_000 + zlib.crc32(product.sku.encode())),
                }
            )
        return lines

    def _dirty_kind(self, dialect: Dialect) -> str | None:
        if self.rng.random() >= self.config.dirty_share:
            return None
        kinds = [k for k in LINE_KINDS if k != "email_variant" or dialect.has("customer_email")]
        return self.rng.choice(kinds)

    def _make_dirty(self, line: dict[str, Any], kind: str, dialect: Dialect) -> dict[str, Any]:
        rng = self.rng
        dirty = dict(line)
        if kind == "email_variant":
            email = dirty.get("customer_email") or "Khach.Hang@Gmail.com"
            dirty["customer_email"] = f"  {email.upper() if rng.random() < 0.5 else email.title()} "
        elif kind == "bad_date":
            moment: datetime = line["order_ts"]
            dirty["order_ts"] = rng.choice(
                (
                    f"30/02/{moment.year} {moment:%H:%M:%S}",
                    f"{moment.year}-02-30 {moment:%H:%M:%S}",
                    "0000-00-00 00:00:00",
                    f"{moment:%d/%m}/{moment.year % 100:02d}",
                )
            )
        elif kind == "negative_quantity":
            dirty["quantity"] = -int(line["quantity"])
        elif kind == "unknown_province":
            dirty["province_code"] = rng.choice(self.unknown_provinces)
        elif kind == "bad_amount":
            dirty["unit_price_vnd"] = rng.choice(BAD_AMOUNTS)
        return dirty

    def _emit(self, line: dict[str, Any]) -> str | None:
        """Write one line (maybe dirty, maybe twice): the dirty kind it was written with
        ('clean' for none), or None once `max_lines` is reached and nothing was written."""
        limit = self.config.max_lines
        if limit is not None and self.lines >= limit:
            return None
        dialect = self._dialect(line["channel"])
        sink, summary = self._sink(dialect, line["order_ts"].year)
        kind = self._dirty_kind(dialect)
        cells = dialect.cells(self._make_dirty(line, kind, dialect) if kind else line)
        sink.write(cells)
        summary.rows += 1
        self.lines += 1
        if kind:
            summary.dirty[kind] = summary.dirty.get(kind, 0) + 1
            if kind == "duplicate" and (limit is None or self.lines < limit):
                sink.write(cells)
                summary.rows += 1
                self.lines += 1
        return kind or "clean"

    def _answer(
        self, customer: Customer | None, lines: list[dict[str, Any]], kinds: list[str]
    ) -> None:
        """One answer-key record: the order's truth and how each written line was dirtied."""
        if self.answers is None or not kinds:
            return
        header = lines[0]
        record = {
            "order_id": header["order_id"],
            "customer_id": customer.customer_id if customer else None,
            "order_ts_local": header["order_ts"].isoformat(),
            "channel": header["channel"],
            "status": header["status"],
            "province_code": header["province_code"],
            "lines": [
                {"line_no": line["line_no"], "line_total_vnd": line["line_total_vnd"], "kind": kind}
                for line, kind in zip(lines, kinds, strict=False)
            ],
        }
        self.answers.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _day(self, day: date, count: int, picker: CustomerPicker) -> bool:
        rng = self.rng
        mix = self.vocab["channel_mix"]
        weights = channel_weights(day, self.config.start, self.config.end, mix)
        channels = list(weights)
        walk_in = float(self.vocab["walk_in_share_pos"])
        drafts = []
        for _ in range(count):
            channel = rng.choices(channels, [weights[c] for c in channels])[0]
            hours = POS_HOURS if channel == "pos" else ONLINE_HOURS
            hour = rng.choices(range(24), hours)[0]
            local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)))
            drafts.append((local, channel))
        drafts.sort()
        for local, channel in drafts:
            customer = None
            if channel != "pos" or rng.random() >= walk_in:
                customer = picker.pick(rng, local.replace(tzinfo=VN_TZ))
            self.orders += 1
            lines = self._order_lines(channel, local, customer)
            kinds = []
            for line in lines:
                kind = self._emit(line)
                if kind is None:
                    self._answer(customer, lines, kinds)
                    return False
                kinds.append(kind)
            self._answer(customer, lines, kinds)
        return True

    def _orders(self, picker: CustomerPicker) -> None:
        config = self.config
        days = date_range(config.start, config.end)
        mix = self.vocab["channel_mix"]
        volume = [sum(channel_weights(d, config.start, config.end, mix).values()) for d in days]
        total = config.customers * config.orders_per_customer
        scale = total / sum(volume)
        for day, weight in zip(days, volume, strict=True):
            expected = weight * scale
            count = int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
            if not self._day(day, count, picker):
                return

    def _crm(self, customers: list[Customer]) -> dict[str, int]:
        dirty: Counter[str] = Counter()
        path = self.out / "crm" / "customers.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            for customer in customers:
                record = crm_record(customer, self.units)
                if self.rng.random() < self.config.dirty_share:
                    kind = self.rng.choice(CRM_KINDS)
                    dirty[kind] += 1
                    if kind == "unknown_province":
                        record["province_code"] = self.rng.choice(self.unknown_provinces)
                    elif kind == "zero_created_at":
                        record["created_at"] = "0000-00-00 00:00:00"
                    else:
                        record["full_name"] = " "
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return dict(sorted(dirty.items()))

    def run(self) -> GenerationSummary:
        (self.out / "landing").mkdir(parents=True, exist_ok=True)
        customers = make_customers(
            self.rng,
            self.config.customers,
            self.config.start,
            self.config.end,
            self.vocab,
            self.units,
        )
        crm_dirty = self._crm(customers)
        with contextlib.ExitStack() as stack:
            if self.config.answer_key:
                (self.out / "answer_key").mkdir(exist_ok=True)
                self.answers = stack.enter_context(
                    (self.out / "answer_key" / "orders.jsonl").open(
                        "w", encoding="utf-8", newline="\n"
                    )
                )
            try:
                self._orders(CustomerPicker(customers))
            finally:
                for sink in self.sinks.values():
                    sink.close()
        config = {
            k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self.config).items()
        }
        summary = GenerationSummary(
            config=config,
            orders=self.orders,
            lines=self.lines,
            customers=len(customers),
            files=dict(sorted(self.summaries.items())),
            crm_dirty=crm_dirty,
        )
        (self.out / "generation_summary.json").write_text(
            json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return summary


def generate(out: Path, config: GeneratorConfig) -> GenerationSummary:
    """Write landing exports, CRM customers and a summary under `out`."""
    config.check()
    return _Generator(out, config).run()
