"""Reads that need a principal say so: for the public, an UNAUTHENTICATED error at the
field with its value null, the public parts of the answer kept; ``viewer`` is null."""

from __future__ import annotations

import pytest

from api.domain.roles import Role
from tests.api.conftest import GraphQL

NEEDS_A_TOKEN = {
    "applications": "{ applications(first: 1) { totalCount } }",
    "changes": "{ changes(first: 1) { changes { position } } }",
    "spotChecks": "{ spotChecks { spotChecks { id } } }",
    "webhookSubscriptions": "{ webhookSubscriptions { id } }",
    "households": '{ jurisdiction(code: "230231101") { name '
    "households(first: 1) { totalCount } } }",
    "statistics": '{ jurisdiction(code: "230231") { name statistics(year: 2016) '
    "{ poorHouseholds } } }",
    "incidence": '{ jurisdiction(code: "230231") { name incidence(year: 2016) { percent } } }',
    "exitPlans": '{ jurisdiction(code: "230231") { name exitPlans(year: 2016) { plannedCount } } }',
}


def _field_path(name: str) -> list[str]:
    return (
        [name]
        if name in ("applications", "changes", "spotChecks", "webhookSubscriptions")
        else [
            "jurisdiction",
            name,
        ]
    )


@pytest.mark.parametrize("field", sorted(NEEDS_A_TOKEN))
async def test_the_public_gets_unauthenticated_at_the_field(gql: GraphQL, field: str) -> None:
    answer = await gql(NEEDS_A_TOKEN[field])
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["path"] == _field_path(field)
    assert "needs a token" in error["message"]
    data = answer["data"]
    if "jurisdiction" in data:
        assert data["jurisdiction"]["name"]  # the public part of the answer stays
        assert data["jurisdiction"][field] is None
    else:
        assert data[field] is None


@pytest.mark.parametrize("field", sorted(NEEDS_A_TOKEN))
async def test_a_token_in_scope_reads_without_that_error(gql: GraphQL, field: str) -> None:
    role = Role.INTEGRATOR if field in ("changes", "webhookSubscriptions") else Role.INSPECTOR
    answer = await gql(NEEDS_A_TOKEN[field], as_=(role, "23"))
    assert "errors" not in answer, answer


async def test_an_official_outside_the_unit_reads_nothing_without_an_error(gql: GraphQL) -> None:
    answer = await gql(NEEDS_A_TOKEN["households"], as_=(Role.INSPECTOR, "37"))
    assert "errors" not in answer
    assert answer["data"]["jurisdiction"]["households"]["totalCount"] == 0


async def test_viewer_is_null_for_the_public_and_names_the_official(gql: GraphQL) -> None:
    assert (await gql("{ viewer { role } }"))["data"] == {"viewer": None}
    answer = await gql("{ viewer { role } }", as_=(Role.INSPECTOR, "23"))
    assert answer["data"]["viewer"]["role"] == "INSPECTOR"
