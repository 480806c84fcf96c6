"""Field access is denied by default: every schema field is classified in api/schema/access.py."""

from __future__ import annotations

from graphql import GraphQLInterfaceType, GraphQLObjectType

from api.schema.access import FIELDS, Access
from api.schema.schema import schema


def schema_fields() -> dict[str, set[str]]:
    return {
        name: set(kind.fields)
        for name, kind in schema._schema.type_map.items()
        if not name.startswith("__") and isinstance(kind, GraphQLObjectType | GraphQLInterfaceType)
    }


def test_every_schema_field_is_classified_and_nothing_else_is() -> None:
    fields = schema_fields()
    unclassified = sorted(
        f"{t}.{f}" for t, names in fields.items() for f in names - set(FIELDS.get(t, {}))
    )
    stale = sorted(
        f"{t}.{f}" for t, names in FIELDS.items() for f in set(names) - fields.get(t, set())
    )
    assert unclassified == [], "classify these in api/schema/access.py"
    assert stale == [], "these are no longer in the schema"


def test_only_the_masked_fields_carry_identity_numbers_phones_and_bank_accounts() -> None:
    masked = {
        f"{t}.{f}" for t, names in FIELDS.items() for f, a in names.items() if a is Access.MASKED
    }
    assert masked == {"Household.phone", "Member.idNumber", "Household.bankAccount"}


def test_personal_and_register_data_is_never_public() -> None:
    for type_name in (
        "Household",
        "Member",
        "ExitApplication",
        "Objection",
        "StageRecord",
        "EvidenceItem",
        "Incidence",
        "RoleAssignment",
        "Notice",
        "NoticeSubject",
        "NoticeDocument",
    ):
        assert Access.PUBLIC not in FIELDS[type_name].values(), type_name
    assert FIELDS["Jurisdiction"]["households"] is Access.SCOPED
    assert FIELDS["Jurisdiction"]["incidence"] is Access.SCOPED
