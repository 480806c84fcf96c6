"""``api.domain.statistics.household_changes`` for many households at once, as column
operations (polars): a bulk import's new households add their changes without a Python
loop per household or member. The rules are the same; a test holds the two together on
random histories.

Frames: ``households`` with columns key, village_code, registered_year, exited_year,
returned_year; ``members`` with columns key, joined_year, left_year (the key joins them).
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from api.domain.jurisdictions import CODE_LENGTHS
from api.domain.statistics import Measure, UnitChanges

_R, _E, _RET = pl.col("registered_year"), pl.col("exited_year"), pl.col("returned_year")
_J, _L = pl.col("joined_year"), pl.col("left_year")
_RETURNED = _E.is_not_null() & _RET.is_not_null() & (_RET >= _E)


def _spans(frame: pl.DataFrame) -> pl.DataFrame:
    """The poor spans [start, end) of each row's household (end null: still poor)."""
    first = frame.filter(_E.is_null() | (_E > _R)).with_columns(
        start=_R, end=pl.when(_E.is_null()).then(None).otherwise(_E)
    )
    second = frame.filter(_RETURNED).with_columns(
        start=pl.max_horizontal(_RET, _R), end=pl.lit(None, dtype=pl.Int64)
    )
    return pl.concat([first, second], how="vertical_relaxed")


def _counted(year: pl.Expr) -> pl.Expr:
    return (_J.is_null() | (year >= _J)) & (_L.is_null() | (year < _L))


def _event(frame: pl.DataFrame, year: pl.Expr, measure: Measure, n: int = 1) -> pl.DataFrame:
    return frame.select(
        pl.col("village_code"),
        year.cast(pl.Int64).alias("year"),
        pl.lit(measure.value).alias("measure"),
        pl.lit(n, dtype=pl.Int64).alias("n"),
    )


def changes_by_unit(households: pl.DataFrame, members: pl.DataFrame) -> UnitChanges:
    """The new households' changes for their villages and every unit above them."""
    if households.height == 0:
        return {}
    h = households.select(
        "key",
        "village_code",
        *(pl.col(c).cast(pl.Int64) for c in ("registered_year", "exited_year", "returned_year")),
    )
    m = members.select(
        "key", *(pl.col(c).cast(pl.Int64) for c in ("joined_year", "left_year"))
    ).join(h, on="key", how="inner")
    spans, member_spans = _spans(h), _spans(m)
    low = pl.when(_J.is_null()).then(pl.col("start")).otherwise(pl.max_horizontal("start", _J))
    high = pl.min_horizontal("end", _L)  # nulls are ignored: null only when both are
    member_spans = member_spans.with_columns(low=low, high=high).filter(
        pl.col("high").is_null() | (pl.col("low") < pl.col("high"))
    )
    parts = [
        _event(h, _R, Measure.REGISTERED_HOUSEHOLDS),
        _event(m.filter(_counted(_R)), _R, Measure.REGISTERED_POPULATION),
        _event(h.filter(_E.is_not_null()), _E, Measure.EXITED_HOUSEHOLDS),
        _event(m.filter(_E.is_not_null() & _counted(_E)), _E, Measure.EXITED_POPULATION),
        _event(h.filter(_RETURNED), _RET, Measure.RETURNED_HOUSEHOLDS),
        _event(m.filter(_RETURNED & _counted(_RET)), _RET, Measure.RETURNED_POPULATION),
        _event(spans, pl.col("start"), Measure.POOR_HOUSEHOLDS),
        _event(
            spans.filter(pl.col("end").is_not_null()), pl.col("end"), Measure.POOR_HOUSEHOLDS, -1
        ),
        _event(member_spans, pl.col("low"), Measure.POOR_POPULATION),
        _event(
            member_spans.filter(pl.col("high").is_not_null()),
            pl.col("high"),
            Measure.POOR_POPULATION,
            -1,
        ),
    ]
    villages = pl.concat(parts).group_by("village_code", "year", "measure").agg(pl.col("n").sum())
    units = (
        pl.concat(
            [
                villages.select(
                    pl.col("village_code").str.slice(0, length).alias("unit"),
                    "year",
                    "measure",
                    "n",
                )
                for length in CODE_LENGTHS.values()
            ]
        )
        .group_by("unit", "year", "measure")
        .agg(pl.col("n").sum())
        .filter(pl.col("n") != 0)
    )
    result: UnitChanges = {}
    for unit, year, measure, n in units.iter_rows():
        result.setdefault((unit, year), Counter())[Measure(measure)] += n
    return result
