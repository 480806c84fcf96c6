"""Personal data in responses: ID numbers and phones are shown in full only to viewers
whose jurisdiction contains the household's township; everyone else sees them masked.
Bank accounts are shown only to the roles that pay subsidies into them."""

from __future__ import annotations

from api.domain.jurisdictions import contains
from api.domain.roles import Principal, Role

TOWNSHIP_CODE = 9
"""A township's code length: a jurisdiction this long or shorter contains townships."""

BANK_ACCOUNT_ROLES = frozenset({Role.TOWNSHIP_GOVERNMENT, Role.COUNTY_LEADING_GROUP})
"""Who sees a household's bank account (一卡通, where its subsidies are paid): the
township and the county, which pay them, for households in their township or county.
Nobody else sees it, not even masked."""


def sees_identity(principal: Principal | None, village_code: str) -> bool:
    return principal is not None and contains(principal.jurisdiction, village_code[:9])


def sees_identity_anywhere(principal: Principal | None) -> bool:
    """Whether the principal sees numbers in full in some of its scope: its jurisdiction
    is a township or holds townships (a village's officials see them masked)."""
    return principal is not None and len(principal.jurisdiction) <= TOWNSHIP_CODE


def sees_bank_account(principal: Principal | None, village_code: str) -> bool:
    return (
        principal is not None
        and principal.role in BANK_ACCOUNT_ROLES
        and sees_identity(principal, village_code)
    )


def mask_id_number(value: str) -> str:
    return f"{value[:6]}********{value[-4:]}"


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else "****"
