"""Regenerate the provinces API v1 replay recording from `vietnam-provinces==0.6.0`.

The public API cannot be reached from CI, so replay mode needs a recording. This builds
`ops/sme_pulse/replay/vn_provinces/v1_depth2.json` (63 provinces, 696 districts, in the
exact shape of `GET /api/v1/?depth=2`) from the package's public data, which is the data
set the API itself serves. Run it with:

    uv run --with vietnam-provinces==0.6.0 python scripts/build_provinces_fixture.py
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "ops/sme_pulse/replay/vn_provinces/v1_depth2.json"

# The package labels every province `tỉnh` and every district `huyện`; the API names
# the unit's real type, which is also the prefix of its name.
CENTRAL_CITIES = {1, 31, 46, 48, 79, 92}
DISTRICT_TYPES = ("quận", "huyện", "thị xã", "thành phố")


def district_type(name: str) -> str:
    lowered = name.lower()
    for kind in DISTRICT_TYPES:
        if lowered.startswith(f"{kind} "):
            return kind
    raise ValueError(f"cannot tell the division type of {name!r}")


def main() -> None:
    data = json.loads(
        resources.files("vietnam_provinces").joinpath("data/nested-divisions.json").read_text()
    )
    provinces = []
    for province in data:
        provinces.append(
            {
                "name": province["name"],
                "code": province["code"],
                "division_type": (
                    "thành phố trung ương" if province["code"] in CENTRAL_CITIES else "tỉnh"
                ),
                "codename": province["codename"],
                "phone_code": province["phone_code"],
                "districts": [
                    {
                        "name": district["name"],
                        "code": district["code"],
                        "division_type": district_type(district["name"]),
                        "codename": district["codename"],
                        "province_code": province["code"],
                        "short_codename": district.get("short_codename"),
                        "wards": [],
                    }
                    for district in province["districts"]
                ],
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(provinces, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    districts = sum(len(p["districts"]) for p in provinces)
    print(f"wrote {OUT}: {len(provinces)} provinces, {districts} districts")


if __name__ == "__main__":
    main()
