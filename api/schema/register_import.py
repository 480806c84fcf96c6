"""The integrators' batch import of households over GraphQL: the file's columns and rules."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.resolvers.context import Context
from api.schema.errors import AnyError
from api.schema.running import KEY, run
from api.services import household_import
from api.services.household_import import ImportReport

Info = strawberry.Info[Context, None]


@strawberry.type(description="One bad cell or row: the row number counts the header as 1.")
class RowError:
    row: int
    column: str
    reason: str


@strawberry.type(description="What an import did, or would do on a dry run.")
class ImportHouseholdsSuccess:
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    written: bool = strawberry.field(description="False on a dry run or a refused atomic run.")
    errors: list[RowError]

    @classmethod
    def of(cls, report: ImportReport) -> ImportHouseholdsSuccess:
        return cls(
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
            written=report.written,
            errors=[RowError(row=e.row, column=e.column, reason=e.reason) for e in report.errors],
        )


ImportHouseholdsPayload = Annotated[
    ImportHouseholdsSuccess | AnyError,
    strawberry.union("ImportHouseholdsPayload"),
]


@strawberry.input
class ImportHouseholdsInput:
    header: list[str] = strawberry.field(
        description="The register file's Chinese column headers (户编号, 行政区划代码, ...)."
    )
    rows: list[list[str]] = strawberry.field(
        description="One row per member, cells in header order; at most 1,000 rows."
    )
    atomic: bool = strawberry.field(default=False, description="Write nothing if any row is bad.")
    dry_run: bool = strawberry.field(default=False, description="Report; write nothing.")


@strawberry.type
class RegisterMutations:
    @strawberry.mutation(
        description="Integrators: upsert households by registry number, as `tuopin import`."
    )
    async def import_households(
        self,
        info: Info,
        input: ImportHouseholdsInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ImportHouseholdsPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: household_import.import_batch(
                env,
                who,
                header=input.header,
                rows=input.rows,
                atomic=input.atomic,
                dry_run=input.dry_run,
            ),
            ImportHouseholdsSuccess.of,
            name="importHouseholds",
            key=idempotency_key,
            request=input,
        )
