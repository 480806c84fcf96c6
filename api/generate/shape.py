"""The national shape of synthetic data: provinces, cities, counties, townships, villages.

About 230 registered poor households per poor village, 12 villages per township, 12
townships per county and 8 counties per city, as in the national registry (29.5 million
households, 128,000 poor villages, 832 poor counties). Provinces fill in the order of
the 22 that signed poverty-exit responsibility letters, Heilongjiang first (its
procedures are in ``policies/procedures``), about 1.36 million households each.

Codes are synthetic but well formed: cities are numbered from 50 up, so they never
collide with the real units of the demo. Names say they are synthetic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

PROVINCES = (
    ("23", "黑龙江省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("62", "甘肃省"),
    ("45", "广西壮族自治区"),
    ("51", "四川省"),
    ("43", "湖南省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("36", "江西省"),
    ("34", "安徽省"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("22", "吉林省"),
    ("61", "陕西省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
    ("54", "西藏自治区"),
    ("50", "重庆市"),
    ("46", "海南省"),
)
PER_PROVINCE = 1_360_000
PER_VILLAGE = 230
VILLAGES_PER_TOWNSHIP = 12
TOWNSHIPS_PER_COUNTY = 12
COUNTIES_PER_CITY = 8
FIRST_CITY = 50
WESTERN = frozenset({"15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"})


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True, slots=True)
class Village:
    code: str
    households: int


def villages_for(total: int, seed: int) -> list[int]:
    """Household counts per village summing to ``total`` (120-340, mean about 230)."""
    rng = random.Random(seed)
    sizes: list[int] = []
    left = total
    while left > 0:
        size = min(left, rng.randint(120, 340))
        sizes.append(size)
        left -= size
    return sizes


def units(total: int, seed: int) -> Iterator[tuple[list[Unit], list[Village]]]:
    """Per county: its new units (province and city when first met) and its villages."""
    if total > PER_PROVINCE * len(PROVINCES):
        raise ValueError(f"at most {PER_PROVINCE * len(PROVINCES):,} households")
    sizes = villages_for(total, seed)
    per_county = VILLAGES_PER_TOWNSHIP * TOWNSHIPS_PER_COUNTY
    province_index, in_province = 0, 0
    city, county = FIRST_CITY - 1, COUNTIES_PER_CITY
    emitted_province = ""
    for start in range(0, len(sizes), per_county):
        chunk = sizes[start : start + per_county]
        if in_province >= PER_PROVINCE:
            province_index, in_province = province_index + 1, 0
            city, county = FIRST_CITY - 1, COUNTIES_PER_CITY
        province, province_name = PROVINCES[province_index]
        new: list[Unit] = []
        if emitted_province != province:
            new.append(Unit(province, province_name, "province", None))
            emitted_province = province
        if county >= COUNTIES_PER_CITY:
            city, county = city + 1, 0
            new.append(Unit(f"{province}{city:02d}", f"合成{city}市", "municipality", province))
        county += 1
        city_code = f"{province}{city:02d}"
        county_code = f"{city_code}{county:02d}"
        new.append(Unit(county_code, f"合成{city}市{county}县", "county", city_code))
        villages: list[Village] = []
        for index, size in enumerate(chunk):
            township = index // VILLAGES_PER_TOWNSHIP + 1
            township_code = f"{county_code}{township:03d}"
            if index % VILLAGES_PER_TOWNSHIP == 0:
                new.append(Unit(township_code, f"合成{township}乡", "township", county_code))
            village_code = f"{township_code}{index % VILLAGES_PER_TOWNSHIP + 1:03d}"
            new.append(
                Unit(
                    village_code,
                    f"合成{index % VILLAGES_PER_TOWNSHIP + 1}村",
                    "village",
                    township_code,
                )
            )
            villages.append(Village(village_code, size))
        in_province += sum(chunk)
        yield new, villages
