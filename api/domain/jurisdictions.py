"""Administrative division codes (行政区划代码) and containment.

Codes are hierarchical prefixes: 2 digits for a province, 4 a municipality,
6 a county, 9 a township, 12 a village. A unit contains every unit whose code
it prefixes, itself included.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from api.errors import ValidationFailed


class Level(StrEnum):
    PROVINCE = "province"
    MUNICIPALITY = "municipality"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


LEVEL_ZH: dict[Level, str] = {
    Level.PROVINCE: "省",
    Level.MUNICIPALITY: "市（地）",
    Level.COUNTY: "县（市、区）",
    Level.TOWNSHIP: "乡（镇、街道）",
    Level.VILLAGE: "村（社区）",
}

CODE_LENGTHS: dict[Level, int] = {
    Level.PROVINCE: 2,
    Level.MUNICIPALITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}
_LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}
_LEVELS = list(Level)


def level_of(code: str) -> Level:
    """The level a division code denotes; ValidationFailed if it is not a code."""
    level = _LEVEL_BY_LENGTH.get(len(code))
    if level is None or not code.isascii() or not code.isdigit():
        raise ValidationFailed(
            f"{code!r} is not a division code (2, 4, 6, 9 or 12 digits)", path=("code",)
        )
    return level


def validate_code(code: str) -> str:
    level_of(code)
    return code


def parent_code(code: str) -> str | None:
    """The code of the unit directly above, or None for a province."""
    index = _LEVELS.index(level_of(code))
    if index == 0:
        return None
    return code[: CODE_LENGTHS[_LEVELS[index - 1]]]


def contains(outer: str, inner: str) -> bool:
    """True when ``outer`` is ``inner`` or one of its ancestors."""
    return inner.startswith(outer)


def ancestors(code: str) -> list[str]:
    """The codes above ``code``, province first; the code itself is not included."""
    level = level_of(code)
    return [code[: CODE_LENGTHS[lv]] for lv in _LEVELS[: _LEVELS.index(level)]]


@dataclass(frozen=True, slots=True)
class CodeRange:
    """The half-open range [low, high) of codes that a prefix contains.

    Used as an index-friendly SQL predicate (``code >= low AND code < high``) under
    binary collation, instead of ``LIKE 'prefix%'``.
    """

    low: str
    high: str


def prefix_range(prefix: str) -> CodeRange:
    if not prefix:
        raise ValidationFailed("an empty prefix contains everything; use no predicate")
    # Every code below ``prefix`` sorts before ``prefix`` with its last digit raised
    # by one character; '9' + 1 is ':', which still sorts after every digit.
    return CodeRange(prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1))


@dataclass(frozen=True, slots=True)
class Scope:
    """What a principal may see: the subtrees under ``prefixes``, or everything.

    ``Scope.nothing()`` is the anonymous default: deny unless granted.
    """

    prefixes: tuple[str, ...]
    everything: bool = False

    @classmethod
    def nothing(cls) -> Scope:
        return cls(())

    @classmethod
    def all(cls) -> Scope:
        return cls((), everything=True)

    @classmethod
    def of(cls, *codes: str) -> Scope:
        # Drop codes already covered by a shorter one, so SQL gets the fewest ranges.
        kept: list[str] = []
        for code in sorted(set(codes), key=len):
            validate_code(code)
            if not any(contains(k, code) for k in kept):
                kept.append(code)
        return cls(tuple(sorted(kept)))

    def covers(self, code: str) -> bool:
        return self.everything or any(contains(p, code) for p in self.prefixes)

    def ranges(self) -> list[CodeRange]:
        return [prefix_range(p) for p in self.prefixes]
