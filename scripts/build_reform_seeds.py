"""Derive the 2025 province reform seeds from the official ward conversion table.

The 1 July 2025 reform merged Vietnam's 63 provinces into 34 and removed the district
level. Sales history carries old province codes and new orders carry new ones, so the
warehouse needs (a) the 34 new provinces and (b) a crosswalk from each old province to
the new one that absorbed it. Both are small, so they are dbt seeds; this script is how
they were made and how to re-make them:

    python scripts/build_reform_seeds.py \\
        --conversion ../shared/data/vn_admin/ward_conversion_2025-07-01.csv \\
        --units-before ../shared/data/vn_admin/units_before_2025-07-01.json \\
        --units-after ../shared/data/vn_admin/units_from_2025-07-01.json

An old province maps to the new province that received the majority of its wards. The
official table has one row (ward 27691, Phường 4 of Thành phố Tân An) filed under Tiền
Giang although Tân An belongs to Long An; the majority rule absorbs such slips and the
script prints every province whose wards went to more than one new province.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "dbt" / "seeds"
# The sales contract validates codes against the same crosswalk, shipped in the package.
PACKAGE_COPY = ROOT / "ops" / "sme_pulse" / "sales" / "data" / "province_crosswalk_2025.csv"
CODE = re.compile(r"\((\d+)\)\s*$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversion", type=Path, required=True)
    parser.add_argument("--units-before", type=Path, required=True)
    parser.add_argument("--units-after", type=Path, required=True)
    args = parser.parse_args()

    before = {p["Code"]: p for p in json.loads(args.units_before.read_text(encoding="utf-8"))}
    after = {p["Code"]: p for p in json.loads(args.units_after.read_text(encoding="utf-8"))}

    votes: dict[str, Counter[str]] = defaultdict(Counter)
    with args.conversion.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 8:
                continue
            new, old = CODE.search(row[0].strip()), CODE.search(row[7].strip())
            if new and old:
                votes[old.group(1)][new.group(1)] += 1

    missing = sorted(set(before) - set(votes))
    if missing or len(before) != 63 or len(after) != 34:
        raise SystemExit(
            f"unexpected inputs: {len(before)} old, {len(after)} new, no wards for {missing}"
        )

    with (SEEDS / "province_crosswalk_2025.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "old_province_code",
                "old_province_name",
                "new_province_code",
                "new_province_name",
                "ward_rows",
                "ward_rows_elsewhere",
            ]
        )
        for code in sorted(before):
            (new_code, count), *others = votes[code].most_common()
            if others:
                print(f"{code} {before[code]['Name']}: majority {new_code}, also {others}")
            writer.writerow(
                [
                    code,
                    before[code]["Name"],
                    new_code,
                    after[new_code]["Name"],
                    count,
                    sum(n for _, n in others),
                ]
            )

    PACKAGE_COPY.write_bytes((SEEDS / "province_crosswalk_2025.csv").read_bytes())

    with (SEEDS / "vn_provinces_2025.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["province_code", "province_name", "full_name", "codename", "unit_type"])
        for code in sorted(after):
            p = after[code]
            writer.writerow(
                [code, p["Name"], p["FullName"], p["CodeName"], p["AdministrativeUnitShortName"]]
            )
    print(f"wrote {SEEDS}/province_crosswalk_2025.csv and vn_provinces_2025.csv")


if __name__ == "__main__":
    main()
