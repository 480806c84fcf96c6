from __future__ import annotations

from decimal import Decimal

import pytest

from api.domain.income import IncomeLine, accounts, member_counts_in
from api.domain.register import IncomeKind as K


def test_net_income_is_gross_less_costs_divided_per_member_to_the_fen() -> None:
    lines = [
        IncomeLine(K.WAGE, Decimal("6000")),
        IncomeLine(K.BUSINESS, Decimal("2500.50")),
        IncomeLine(K.TRANSFER, Decimal("1200")),
        IncomeLine(K.COST, Decimal("700.50")),
    ]
    result = accounts(lines, size=3)
    assert result.net == Decimal("9000.00")
    assert result.per_capita == Decimal("3000.00")
    assert not result.transfer_only


def test_per_capita_rounds_half_up_to_the_fen() -> None:
    assert accounts([IncomeLine(K.WAGE, Decimal("10"))], size=3).per_capita == Decimal("3.33")
    assert accounts([IncomeLine(K.WAGE, Decimal("0.05"))], size=2).per_capita == Decimal("0.03")


def test_a_household_without_members_has_no_per_capita_income() -> None:
    assert accounts([IncomeLine(K.WAGE, Decimal("100"))], size=0).per_capita is None


def test_income_only_from_transfers_is_recognised() -> None:
    only = accounts([IncomeLine(K.TRANSFER, Decimal("4000"))], size=1)
    assert only.transfer_only
    assert not accounts([], size=1).transfer_only


@pytest.mark.parametrize(
    ("joined", "left", "counts"),
    [
        (None, None, True),
        (2016, None, True),
        (2017, None, False),
        (None, 2016, False),
        (None, 2017, True),
    ],
)
def test_a_member_counts_from_joining_until_the_year_before_leaving(
    joined: int | None, left: int | None, counts: bool
) -> None:
    assert member_counts_in(2016, joined_year=joined, left_year=left) is counts
