"""Per-capita net income (人均纯收入), derived from income records, never typed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from api.domain.register import IncomeKind

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class IncomeLine:
    kind: IncomeKind
    amount: Decimal


@dataclass(frozen=True, slots=True)
class HouseholdAccounts:
    """One household's accounts for one year."""

    gross: Decimal
    costs: Decimal
    transfer: Decimal
    size: int
    kinds: frozenset[IncomeKind] = frozenset()
    """The kinds of income (costs are not income) with a positive amount."""

    @property
    def net(self) -> Decimal:
        return self.gross - self.costs

    @property
    def per_capita(self) -> Decimal | None:
        """Net income per member, to the fen; None for a household with no members."""
        return per_capita(self.net, self.size)

    @property
    def transfer_only(self) -> bool:
        """True when every yuan of gross income is a transfer (a 十不脱 hard block;
        api.domain.standards judges it on ``kinds``, with the kinds the policy names)."""
        return self.gross > 0 and self.transfer == self.gross


def per_capita(net: Decimal, size: int) -> Decimal | None:
    """Net income per member, to the fen; None for a household with no members."""
    if size <= 0:
        return None
    return (net / size).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Figures:
    """What a household page shows of a year: members counted and 年人均纯收入."""

    size: int
    per_capita: Decimal | None

    @classmethod
    def of(cls, accounts: HouseholdAccounts) -> Figures:
        return cls(size=accounts.size, per_capita=accounts.per_capita)


def accounts(lines: Iterable[IncomeLine], *, size: int) -> HouseholdAccounts:
    gross = costs = transfer = Decimal(0)
    totals: dict[IncomeKind, Decimal] = {}
    for line in lines:
        if line.kind is IncomeKind.COST:
            costs += line.amount
        else:
            gross += line.amount
            totals[line.kind] = totals.get(line.kind, Decimal(0)) + line.amount
            if line.kind is IncomeKind.TRANSFER:
                transfer += line.amount
    kinds = frozenset(kind for kind, total in totals.items() if total > 0)
    return HouseholdAccounts(gross=gross, costs=costs, transfer=transfer, size=size, kinds=kinds)


def member_counts_in(year: int, *, joined_year: int | None, left_year: int | None) -> bool:
    """Whether a member belongs to the household in ``year``.

    A member counts from the year they joined (or always, if unknown) until the
    year before they left: a member who left in 2017 is not part of the 2017 accounts.
    """
    joined = joined_year is None or joined_year <= year
    stayed = left_year is None or left_year > year
    return joined and stayed
