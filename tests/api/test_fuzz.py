"""Property-based fuzzing: no input yields a 500, a masked internal error or a stack trace."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.domain.roles import Role
from tests.api.conftest import token_for

TOKEN = token_for(Role.COUNTY_LEADING_GROUP, "230231")
text = st.text(max_size=40)
codes = st.one_of(text, st.from_regex(r"[0-9]{1,13}", fullmatch=True))
global_ids = st.one_of(
    text,
    st.builds(
        lambda t, i: base64.b64encode(f"{t}:{i}".encode()).decode(),
        st.sampled_from(["ExitApplication", "Objection", "Household", "Nope", ""]),
        st.one_of(st.integers(-5, 10**20).map(str), text),
    ),
)
evidence = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["ASSEMBLY_MINUTES", "NOTICE_POSTING", "EVALUATION_REPORT"]),
            "reference": text,
            "sha256": st.one_of(text, st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
        }
    ),
    max_size=3,
)

REQUESTS = st.one_of(
    st.builds(
        lambda c, f, a: (
            """query($c: String!, $f: Int!, $a: String) { jurisdiction(code: $c)
      { households(first: $f, after: $a) { totalCount edges { node { registryNo } } } } }""",
            {"c": c, "f": f, "a": a},
        ),
        codes,
        st.integers(-10, 1000),
        st.one_of(st.none(), text),
    ),
    st.builds(lambda i: ("query($i: ID!) { node(id: $i) { id } }", {"i": i}), global_ids),
    st.builds(
        lambda f, a, u: (
            """query($f: Int!, $a: String, $u: String) {
      applications(first: $f, after: $a, filter: {under: $u}) { totalCount } }""",
            {"f": f, "a": a, "u": u},
        ),
        st.integers(-10, 1000),
        st.one_of(st.none(), text),
        st.one_of(st.none(), codes),
    ),
    st.builds(
        lambda k, u, y, s, e: (
            """mutation($in: ProposeExitListInput!) {
      proposeExitList(input: $in) { __typename } }""",
            {"in": {"subjectKind": k, "unitCode": u, "year": y, "subjects": s, "evidence": e}},
        ),
        st.sampled_from(["HOUSEHOLD", "VILLAGE", "COUNTY"]),
        codes,
        st.integers(-(2**31), 2**31 - 1),
        st.lists(text, max_size=3),
        evidence,
    ),
    st.builds(
        lambda i, s, d, e, r, why: (
            """mutation($in: PerformStageInput!) {
      performStage(input: $in) { __typename } }""",
            {
                "in": {
                    "applicationId": i,
                    "stage": s,
                    "decision": d,
                    "evidence": e,
                    "returnTo": r,
                    "reason": why,
                }
            },
        ),
        global_ids,
        text,
        st.sampled_from(["APPROVE", "REJECT", "RETURN"]),
        evidence,
        st.one_of(st.none(), text),
        st.one_of(st.none(), text),
    ),
    st.builds(
        lambda i, c: (
            """mutation($in: RaiseObjectionInput!) {
      raiseObjection(input: $in) { __typename } }""",
            {"in": {"applicationId": i, "content": c}},
        ),
        global_ids,
        st.text(max_size=3000),
    ),
    st.builds(
        lambda s, r, j: (
            """mutation($in: AssignRoleInput!) {
      assignRole(input: $in) { __typename } }""",
            {"in": {"subject": s, "role": r, "jurisdiction": j}},
        ),
        text,
        st.sampled_from([r.name for r in Role]),
        codes,
    ),
)


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    assert "Traceback" not in response.text
    for error in body.get("errors") or []:
        assert error["message"] != "Unexpected error.", body


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=REQUESTS, signed=st.booleans())
async def test_no_input_breaks_the_api(
    client: httpx.AsyncClient, request: tuple[str, dict[str, Any]], signed: bool
) -> None:
    query, variables = request
    headers = {"Authorization": f"Bearer {TOKEN}"} if signed else {}
    check(
        await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    )


@settings(max_examples=60, deadline=None)
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
async def test_no_body_breaks_the_api(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
