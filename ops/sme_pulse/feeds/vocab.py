"""The word lists and shop set-up the generator draws from (`data/vn_vocab.json`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    price_vnd: int
    tet_boost: float


@dataclass(frozen=True)
class Store:
    store_id: str
    province_code: str
    district_code: str
    weight: float


@dataclass(frozen=True)
class Vocab:
    raw: dict[str, Any]
    products: tuple[Product, ...]
    stores: tuple[Store, ...]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]


@lru_cache(maxsize=1)
def load_vocab() -> Vocab:
    text = (resources.files("sme_pulse") / "feeds" / "data" / "vn_vocab.json").read_text(
        encoding="utf-8"
    )
    raw = json.loads(text)
    products = tuple(
        Product(
            sku=f"{group['prefix']}-{index:03d}",
            name=name,
            category=group["category"],
            price_vnd=int(price),
            tet_boost=float(group["tet_boost"]),
        )
        for group in raw["catalog"]
        for index, (name, price) in enumerate(group["products"], start=1)
    )
    stores = tuple(Store(**store) for store in raw["stores"])
    return Vocab(raw=raw, products=products, stores=stores)
