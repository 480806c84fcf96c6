"""Personal data in responses: ID numbers and phones are shown in full only to viewers
whose jurisdiction contains the household's township; everyone else sees them masked."""

from __future__ import annotations

from api.domain.jurisdictions import contains
from api.domain.roles import Principal


def sees_identity(principal: Principal | None, village_code: str) -> bool:
    return principal is not None and contains(principal.jurisdiction, village_code[:9])


def mask_id_number(value: str) -> str:
    return f"{value[:6]}********{value[-4:]}"


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else "****"
