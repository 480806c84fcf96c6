"""Resident identity numbers (公民身份号码), GB 11643-1999.

Eighteen characters: a six-digit address code, an eight-digit birth date, a
three-digit sequence (odd for men, even for women) and an ISO 7064 MOD 11-2
check character (``0``-``9`` or ``X``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from api.errors import ValidationFailed

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"\d{17}[\dX]")


def weighted(digits: str, start: int) -> int:
    """The check sum's share of ``digits`` placed at ``start`` of the body; shares of
    the address, birth date and sequence add up, so generators can cache them."""
    return sum(int(d) * w for d, w in zip(digits, _WEIGHTS[start:], strict=False))


def check_of(total: int) -> str:
    """The check character for a body whose weighted digits sum to ``total``."""
    return _CHECK[total % 11]


def check_character(body: str) -> str:
    """The check character for the first seventeen digits."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValidationFailed("an ID number body is 17 digits", path=("idNumber",))
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


@dataclass(frozen=True, slots=True)
class IdNumber:
    value: str
    birth_date: date
    female: bool

    def masked(self) -> str:
        """The form shown to readers outside the household's township."""
        return f"{self.value[:6]}********{self.value[-4:]}"

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


def age_on(born: date, day: date) -> int:
    """Whole years of age (周岁) reached on ``day`` by someone born on ``born``."""
    before_birthday = (day.month, day.day) < (born.month, born.day)
    return day.year - born.year - (1 if before_birthday else 0)


def birth_date_of(stored: str) -> date:
    """The date of birth in an ID number already validated by ``parse_id_number`` (as
    every stored one is), read without validating it again."""
    return date(int(stored[6:10]), int(stored[10:12]), int(stored[12:14]))


def parse_id_number(raw: str) -> IdNumber:
    """Validate an ID number (a lower-case ``x`` is accepted) and read its facts."""
    value = raw.strip().upper()
    if not _SHAPE.fullmatch(value):
        raise ValidationFailed(
            "an ID number is 17 digits followed by a digit or X", path=("idNumber",)
        )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationFailed(
            f"{value[6:14]} in the ID number is not a date of birth", path=("idNumber",)
        ) from None
    if value[17] != check_character(value[:17]):
        raise ValidationFailed("the ID number's check digit is wrong", path=("idNumber",))
    return IdNumber(value=value, birth_date=born, female=int(value[16]) % 2 == 0)
