"""Planned execution gives graphql-core's answers: data, errors, paths and null propagation.

Each query runs twice on one small schema, planned and on graphql-core alone (the
context's ``planned`` flag), and the two results must be equal.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import pytest
import strawberry

from api.execution.executor import PLANS, PlannedExecutor


@strawberry.enum
class Colour(Enum):
    RED = "red"
    GREEN = "green"


@strawberry.type
class Leaf:
    name: str
    count: int
    colour: Colour
    note: str | None = None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return f"later {self.name}"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError(f"broken {self.name}")

    @strawberry.field
    def required_broken(self) -> str:
        raise ValueError(f"required {self.name}")

    @strawberry.field
    async def async_broken(self) -> int | None:
        await asyncio.sleep(0)
        raise ValueError("async broken")

    @strawberry.field
    def missing(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        # Reads what a leaf's resolver gets lazily in planned execution (LazyInfo).
        names = [f.name for f in info.selected_fields]
        return f"{info.path.as_list()} {info.field_name} {info.python_name} {names}"

    @strawberry.field
    def planned(self, info: strawberry.Info) -> bool:
        return info.context.planned  # type: ignore[no-any-return]


@strawberry.type
class Other:
    label: str


@strawberry.type
class Checked:
    label: str

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        # A type check of its own that reads the resolve info: planned execution must
        # build one for it (api/execution/plans.py, _info_free).
        return isinstance(obj, cls) and info.field_name in ("checked", "allChecked")


Thing = Annotated[Leaf | Other, strawberry.union("Thing")]


@strawberry.input
class Filter:
    prefix: str = ""


@dataclass
class Ctx:
    planned: bool


def _leaves() -> list[Leaf]:
    return [Leaf(name=n, count=i, colour=Colour.RED if i % 2 else Colour.GREEN) for i, n in
            enumerate(["a", "b", "c"])]  # fmt: skip


@strawberry.type
class Query:
    @strawberry.field
    def leaves(self, filter: Filter | None = None) -> list[Leaf]:
        prefix = filter.prefix if filter else ""
        return [leaf for leaf in _leaves() if leaf.name.startswith(prefix)]

    @strawberry.field
    async def async_leaves(self) -> list[Leaf | None]:
        return [*_leaves(), None]

    @strawberry.field
    def things(self) -> list[Thing]:
        return [Leaf(name="x", count=1, colour=Colour.RED), Other(label="o")]

    @strawberry.field
    def strict_leaves(self) -> list[Leaf]:
        return _leaves()

    @strawberry.field
    def wrong_type(self) -> Leaf:
        return Other(label="not a leaf")  # type: ignore[return-value]

    @strawberry.field
    def checked(self) -> Checked:
        return Checked(label="c")

    @strawberry.field
    def all_checked(self) -> list[Checked]:
        return [Checked(label="d"), Checked(label="e")]

    @strawberry.field
    def holey_leaves(self) -> list[Leaf]:
        # A list of plain leaves completes in one loop per item (completers._flat_row);
        # an item off that path (a null name, a colour no enum has, a wrong type, a gap)
        # must complete the general way, with graphql-core's errors.
        leaves: list[Any] = _leaves()
        leaves[1] = Leaf(name=None, count=1, colour=Colour.RED)  # type: ignore[arg-type]
        return leaves

    @strawberry.field
    def odd_leaves(self) -> list[Leaf | None]:
        return [*_leaves()[:2], None, Leaf(name="p", count=9, colour="purple"), Other(label="o")]  # type: ignore[list-item, arg-type]

    @strawberry.field
    def big(self) -> int:
        return 2**40

    @strawberry.field
    def not_a_list(self) -> list[int]:
        return 5  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def first(self) -> int:
        await asyncio.sleep(0)
        return 1

    @strawberry.mutation
    def second(self) -> int:
        return 2


schema = strawberry.Schema(query=Query, mutation=Mutation, execution_context_class=PlannedExecutor)


async def both(query: str, **variables: Any) -> dict[str, Any]:
    answers = []
    for planned in (True, False):
        result = await schema.execute(query, variable_values=variables, context_value=Ctx(planned))
        answers.append(
            {
                "data": result.data,
                "errors": [(e.message, e.path) for e in result.errors or []],
            }
        )
    assert answers[0] == answers[1]
    return answers[0]


QUERIES = [
    "{ leaves { name count colour note shout later } }",
    '{ leaves(filter: {prefix: "b"}) { name shout(times: 3) } }',
    "query Q($p: String!, $t: Int!) { leaves(filter: {prefix: $p}) { name shout(times: $t) } }",
    "{ a: leaves { n: name } b: leaves { name count } }",
    "{ leaves { ...F ... on Leaf { count } } } fragment F on Leaf { name colour }",
    "{ things { __typename ... on Leaf { name } ... on Other { label } } }",
    "{ asyncLeaves { name later } }",
    "{ leaves { name broken } }",
    "{ leaves { name requiredBroken } }",
    "{ strictLeaves { name requiredBroken } }",
    "{ asyncLeaves { name asyncBroken } }",
    "{ asyncLeaves { name requiredBroken later } }",
    "{ leaves { missing } }",
    "{ checked { label } allChecked { label } }",
    "{ leaves { where w: where } asyncLeaves { where } }",
    "{ wrongType { name } }",
    "{ big }",
    "{ leaves { name count colour note __typename } }",
    "{ holeyLeaves { name count } }",
    "{ holeyLeaves { count } }",
    "{ oddLeaves { name colour } }",
    "{ oddLeaves { count } }",
    "{ notAList }",
    "{ __typename leaves { __typename } }",
    "mutation { first second again: first }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_planned_matches_graphql_core(query: str) -> None:
    variables = {"p": "a", "t": 2} if "$p" in query else {}
    await both(query, **variables)


async def test_errors_are_located_and_nulls_propagate() -> None:
    answer = await both("{ leaves { name requiredBroken } }")
    assert answer["data"] is None  # Query.leaves is non-null: the null reaches the root
    assert answer["errors"][0] == ("required a", ["leaves", 0, "requiredBroken"])
    answer = await both("{ asyncLeaves { name requiredBroken } }")
    assert answer["data"] == {"asyncLeaves": [None, None, None, None]}
    assert [e[1] for e in answer["errors"]] == [
        ["asyncLeaves", i, "requiredBroken"] for i in range(3)
    ]


def _newest_plan() -> object:
    return next(reversed(PLANS._entries.values()))[1]


@pytest.mark.parametrize(
    "query",
    [
        "query($s: Boolean!) { leaves @skip(if: $s) { name } }",
        "{ leaves { name @include(if: true) } }",
        "{ __schema { queryType { name } } }",
        "{ leaves { ...F } } fragment F on Leaf { name @skip(if: false) }",
    ],
)
async def test_directives_and_introspection_run_on_graphql_core(query: str) -> None:
    await schema.execute(query, variable_values={"s": False}, context_value=Ctx(True))
    assert _newest_plan() is None
    await both(query, s=False)


async def test_plain_operations_are_planned() -> None:
    await schema.execute("{ leaves { name } }", context_value=Ctx(True))
    assert _newest_plan() is not None


async def test_a_leafs_resolver_gets_the_requests_context_and_arguments() -> None:
    planned = await schema.execute("{ leaves { planned } }", context_value=Ctx(True))
    assert planned.data == {"leaves": [{"planned": True}] * 3}
    reference = await schema.execute("{ leaves { planned } }", context_value=Ctx(False))
    assert reference.data == {"leaves": [{"planned": False}] * 3}
    # Literal arguments are converted once per plan; variables stay per request.
    query = "query($t: Int!) { leaves { name once: shout(times: 2) shout(times: $t) } }"
    for times in (1, 3):
        answer = await both(query, t=times)
        assert answer["data"]["leaves"][1] == {"name": "b", "once": "BB", "shout": "B" * times}
