"""Synthetic customers: Vietnamese names, contacts and addresses, and their CRM records.

A customer keeps one pre-reform address (old province and district). Orders and CRM
records dated from 1 July 2025 show the new province that absorbed it and no district,
the way the shop's systems would after the reform.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from sme_pulse.feeds.vocab import Vocab
from sme_pulse.ingestion.admin_units import REFORM_DATE, AdminUnits
from sme_pulse.ingestion.values import VN_TZ, ascii_key

LOYALTY_TIERS = (("member", 70), ("silver", 20), ("gold", 8), ("platinum", 2))
PHONE_FORMATS = (
    "0{a}{b}{c}",
    "0{a} {b} {c}",
    "0{a}.{b}.{c}",
    "+84{a}{b}{c}",
    "84{a}{b}{c}",
    "+84 {a} {b} {c}",
)


def weighted(rng: random.Random, pairs: list[list[object]] | tuple[tuple[str, int], ...]) -> str:
    names = [p[0] for p in pairs]
    weights = [float(p[1]) for p in pairs]  # type: ignore[arg-type]
    return str(rng.choices(names, weights)[0])


@dataclass(slots=True)
class Customer:
    customer_id: str
    full_name: str
    email: str | None
    phone: str | None
    province_code: str
    district_code: str
    created_at: datetime
    updated_at: datetime
    loyalty_tier: str
    activity: float

    def province_on(self, day: date, units: AdminUnits) -> tuple[str, str | None]:
        """Province and district codes as a system would have recorded them on `day`."""
        if day >= REFORM_DATE:
            return units.crosswalk[self.province_code], None
        return self.province_code, self.district_code


def _name(rng: random.Random, vocab: Vocab) -> tuple[str, str, str]:
    gender = "female" if rng.random() < 0.55 else "male"
    family = weighted(rng, vocab["family_names"])
    middle = rng.choice(vocab["middle_names"][gender])
    given = rng.choice(vocab["given_names"][gender])
    return family, middle, given


def _email(rng: random.Random, vocab: Vocab, family: str, middle: str, given: str, n: int) -> str:
    f, m, g = ascii_key(family), ascii_key(middle), ascii_key(given)
    local = rng.choice((f"{g}.{f}", f"{f}{m}{g}", f"{g}{f}", f"{g}.{m}{f}", f"{f}.{g}"))
    return f"{local}{n}@{weighted(rng, vocab['email_domains'])}"


def phone_digits(rng: random.Random, vocab: Vocab) -> str:
    """A 9-digit national mobile number (no leading 0), on a real carrier prefix."""
    prefix = rng.choice(vocab["mobile_prefixes"])[1:]
    return f"{prefix}{rng.randrange(10_000_000):07d}"


def format_phone(rng: random.Random, national: str) -> str:
    """One of the many ways people and systems write the same Vietnamese number."""
    return rng.choice(PHONE_FORMATS).format(a=national[:3], b=national[3:6], c=national[6:])


def _province_picker(vocab: Vocab, units: AdminUnits) -> tuple[list[str], list[float]]:
    weights = dict(vocab["province_weights"])
    other = float(vocab["other_province_weight"])
    codes = sorted(units.old_provinces)
    return codes, [float(weights.get(code, other)) for code in codes]


def make_customers(
    rng: random.Random,
    count: int,
    start: date,
    end: date,
    vocab: Vocab,
    units: AdminUnits,
) -> list[Customer]:
    """`count` customers sorted by creation time; 30% existed before `start`."""
    codes, code_weights = _province_picker(vocab, units)
    districts = {code: units.districts_of(code) for code in codes}
    span_days = (end - start).days + 1
    horizon = datetime.combine(end + timedelta(days=1), time(), VN_TZ).astimezone(UTC)
    customers = []
    for n in range(1, count + 1):
        family, middle, given = _name(rng, vocab)
        province = rng.choices(codes, code_weights)[0]
        offset = -rng.randrange(1, 731) if rng.random() < 0.3 else rng.randrange(span_days)
        created = datetime.combine(start + timedelta(days=offset), time(), VN_TZ).astimezone(
            UTC
        ) + timedelta(seconds=rng.randrange(86_400))
        updated = created + timedelta(days=rng.expovariate(1 / 200))
        if updated >= horizon:
            updated = created + (horizon - created) * rng.random()
        customers.append(
            Customer(
                customer_id=f"KH{n:06d}",
                full_name=f"{family} {middle} {given}",
                email=_email(rng, vocab, family, middle, given, n) if rng.random() < 0.9 else None,
                phone=phone_digits(rng, vocab) if rng.random() < 0.97 else None,
                province_code=province,
                district_code=rng.choice(districts[province]),
                created_at=created,
                updated_at=updated.replace(microsecond=0),
                loyalty_tier=weighted(rng, LOYALTY_TIERS),
                activity=rng.paretovariate(1.6),
            )
        )
    customers.sort(key=lambda c: (c.created_at, c.customer_id))
    return customers


class CustomerPicker:
    """Draws a customer who already existed on a given day, frequent buyers more often."""

    def __init__(self, customers: list[Customer]) -> None:
        self._customers = customers
        self._created = [c.created_at for c in customers]
        self._cumulative = list(accumulate(c.activity for c in customers))

    def pick(self, rng: random.Random, moment: datetime) -> Customer | None:
        eligible = bisect.bisect_right(self._created, moment)
        if eligible == 0:
            return None
        target = rng.random() * self._cumulative[eligible - 1]
        return self._customers[bisect.bisect_left(self._cumulative, target, hi=eligible - 1)]


def crm_record(customer: Customer, units: AdminUnits) -> dict[str, object]:
    """The customer as the CRM API returns it, addressed as of its last update."""
    province, district = customer.province_on(customer.updated_at.astimezone(VN_TZ).date(), units)
    return {
        "id": customer.customer_id,
        "full_name": customer.full_name,
        "email": customer.email,
        "phone": f"0{customer.phone}" if customer.phone else None,
        "province_code": province,
        "district_code": district,
        "loyalty_tier": customer.loyalty_tier,
        "created_at": customer.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": customer.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
