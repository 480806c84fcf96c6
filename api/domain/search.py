"""What a household search asks for: a name (partial), a full ID number or a full phone.

ID numbers and phones are matched whole, never by a part, and only by viewers who see
them in full (whose jurisdiction contains the household's township,
api/resolvers/privacy.py): for a viewer who sees them masked, a search by the whole
number would turn the masked digits into a guessing game it wins (10,000 phones behind
139****8901, a few thousand birth dates behind an ID number). Names are shown to every
viewer in scope, so they are matched by a part: three letters or more in a row anywhere
in a member's name (徐波金, 阿依古丽), a shorter part at its start (a surname, 王; a
two-character name, 王芳).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from api.domain.idnumber import parse_id_number
from api.errors import ValidationFailed

MAX_NAME = 20
ANYWHERE_FROM = 3
"""A name part this long or longer matches anywhere in a name (a trigram index serves it)."""

_PHONE = re.compile(r"1\d{10}")
_ID_SHAPE = re.compile(r"\d{17}[\dXx]")
_DIGITS = re.compile(r"[\d\s+\-]+[Xx]?")
_LETTERS_IN_A_ROW = re.compile(rf"[^\W\d_]{{{ANYWHERE_FROM}}}")


class SearchBy(StrEnum):
    NAME = "name"
    ID_NUMBER = "id_number"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class SearchTerm:
    by: SearchBy
    value: str
    """The name part, or the whole number."""

    @property
    def anywhere(self) -> bool:
        """A name part matched anywhere in a name (else at its start): it holds three
        letters in a row, which the trigram index can look up (separators alone, or
        letters apart, give it nothing to look up but the whole index)."""
        return self.by is SearchBy.NAME and _LETTERS_IN_A_ROW.search(self.value) is not None

    @property
    def is_number(self) -> bool:
        return self.by is not SearchBy.NAME

    @property
    def pattern(self) -> str:
        """A name part's LIKE pattern, matching it anywhere (``\\`` escapes)."""
        escaped = self.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    @property
    def prefix_range(self) -> tuple[str, str]:
        """Names starting with the part, as a range in code-point order: [low, high)."""
        return self.value, self.value[:-1] + chr(ord(self.value[-1]) + 1)


def parse_search(text: str) -> SearchTerm:
    """The search ``text`` means: ValidationFailed (path ``query``) when it means nothing."""
    value = text.strip()
    if not value:
        raise ValidationFailed("a search needs a name or a number", path=("query",))
    compact = re.sub(r"[\s\-]", "", value)
    if _ID_SHAPE.fullmatch(compact):
        try:
            return SearchTerm(SearchBy.ID_NUMBER, parse_id_number(compact).value)
        except ValidationFailed as exc:
            raise ValidationFailed(str(exc), path=("query",)) from None
    if _PHONE.fullmatch(compact.removeprefix("+86")):
        return SearchTerm(SearchBy.PHONE, compact.removeprefix("+86"))
    if _DIGITS.fullmatch(value):
        raise ValidationFailed(
            "numbers are searched whole: an 18-character ID number or an 11-digit mobile number",
            path=("query",),
        )
    if len(value) > MAX_NAME:
        raise ValidationFailed(
            f"a name to search is at most {MAX_NAME} characters", path=("query",)
        )
    if any(not (c.isalpha() or c in "·. '") for c in value) or not value[0].isalpha():
        raise ValidationFailed(
            "a name to search holds letters, starting with one (and · for names of several parts)",
            path=("query",),
        )
    return SearchTerm(SearchBy.NAME, value)
