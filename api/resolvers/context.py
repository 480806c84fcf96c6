"""The per-request context: who is asking, and loaders that batch their reads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.relay.utils import to_base64

from api.authz.enforcer import Authorizer
from api.db import chain
from api.db.chain import Head
from api.db.division_cache import DivisionCache
from api.db.models import Assessment as AssessmentRow
from api.db.models import (
    AuditEvent,
    CountyDesignationRow,
    Evidence,
    EvidenceFile,
    ExitApplication,
    ExitPlan,
    IncomeRecord,
    Jurisdiction,
    Objection,
    ProcedureVersion,
    VillageDesignationRow,
    VillageIndicators,
)
from api.db.repositories import applications as app_repo
from api.db.repositories import changes as change_repo
from api.db.repositories import evidence_files as evidence_file_repo
from api.db.repositories import households as household_repo
from api.db.repositories import jurisdictions as jurisdiction_repo
from api.db.repositories import spot_checks as spot_check_repo
from api.db.views import HouseholdView, JurisdictionView, MemberView, StageRecordView
from api.domain.evidence_files import Limits as EvidenceLimits
from api.domain.income import Figures, HouseholdAccounts
from api.domain.jurisdictions import Scope
from api.domain.notices import Notice, NoticeKey
from api.domain.roles import PUBLIC_SCOPE, Principal
from api.domain.rules import StandardsPolicy
from api.domain.standards import StandardCheck
from api.domain.statistics import Figures as UnitFigures
from api.domain.statistics import Tally
from api.files.store import FileStore
from api.procedure_files import ProcedureBook
from api.services import evaluations, notices, registry, statistics, webhooks
from api.services.exits import Env
from api.services.registry import UnitIncidence

T = TypeVar("T")


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    principal: Principal | None
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    policy: StandardsPolicy
    authorizer: Authorizer
    book: ProcedureBook
    clock: Clock = utc_now
    introspection: bool = True
    plain_http_webhooks: bool = True
    figures: dict[tuple[int, int], Figures] = field(init=False, default_factory=dict)
    """(year, household id) -> figures fetched with a page (see resolvers/lookahead.py)."""
    prefetched_records: dict[int, list[StageRecordView]] = field(init=False, default_factory=dict)
    """Application id -> stage records fetched with a list (resolvers/applications.py)."""
    prefetched_households: dict[str, HouseholdView | None] = field(init=False, default_factory=dict)
    """Registry number -> household fetched with a list of applications."""
    planned: bool = True
    """Whether operations run on their plans (api/execution); False: graphql-core alone."""
    divisions: DivisionCache = field(default_factory=DivisionCache)
    """The process's units by code (api/db/division_cache.py); a fresh one is never
    watched, so it keeps nothing."""
    shared_reads: bool = False
    """Whether the request's reads share one session (read sessions in autocommit, as on
    PostgreSQL: each statement sees what is committed, so sharing changes no answer)."""
    replica: async_sessionmaker[AsyncSession] | None = None
    """Read sessions on the read replica (TUOPIN_DATABASE_READ_URL), if there is one: a
    query's reads move there once its operation is known to be a query
    (``read_from_replica``); everything before (the token's holding) and every
    mutation's reads stay on the primary."""
    language: str = "zh"
    """The language the request's Accept-Language prefers for labels (zh or en)."""
    files: FileStore | None = None
    """The evidence file store (api/files/store.py); None where files are not kept (a
    context built outside the app, as in scripts)."""
    file_limits: EvidenceLimits = field(default_factory=lambda: EvidenceLimits(20 * 1024 * 1024))
    _reads: async_sessionmaker[AsyncSession] = field(init=False)
    _session: AsyncSession | None = field(init=False, default=None)
    _turn: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._reads = self.read_sessions

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self)

    @property
    def scope(self) -> Scope:
        return PUBLIC_SCOPE if self.principal is None else self.principal.read_scope()

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in the request's read session, or in a session of its own.

        Sibling resolvers run concurrently and one AsyncSession cannot serve two of them
        at once: with shared reads they take turns on one session (a pool checkout per
        read cost more than the read); otherwise every batch gets its own short session.
        """
        if not self.shared_reads:
            async with self._reads() as session:
                return await work(session)
        async with self._turn:
            if self._session is None:
                self._session = self._reads()
            return await work(self._session)

    async def read_primary(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` on the primary even in a query that reads the replica: for what
        the process keeps beyond the request (the units, emptied by the primary's
        notifications, would otherwise be refilled from a replica that lags)."""
        if self._reads is self.read_sessions:
            return await self.read(work)
        async with self.read_sessions() as session:
            return await work(session)

    async def read_from_replica(self) -> None:
        """From now on, read the replica (a no-op without one). Called before a query
        executes (``api.resolvers.replica``); the primary connection the token check
        used goes back to its pool."""
        if self.replica is None or self._reads is self.replica:
            return
        async with self._turn:
            self._reads = self.replica
            if self._session is not None:
                session, self._session = self._session, None
                await session.close()

    async def close(self) -> None:
        """Give the request's read connection back (after the response is sent), and let
        go of what the request read: loaders and their load functions refer to each
        other, and the context to them, so rows they hold would otherwise wait for the
        cyclic garbage collector (whose passes grew with them)."""
        loaders = self.__dict__.pop("loaders", None)
        if loaders is not None:
            loaders.close()
        self.figures.clear()
        self.prefetched_records.clear()
        self.prefetched_households.clear()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def write(self, work: Callable[[Env], Awaitable[T]]) -> T:
        """Run one use case in its own transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            env = Env(
                session=session,
                authorizer=self.authorizer,
                book=self.book,
                standards=self.policy,
                now=self.clock(),
                autocommit=self.read_sessions,  # autocommit on PostgreSQL (db/session.py)
            )
            result = await work(env)
        if self._session is not None:
            # Rows read before the write must not answer for rows it changed.
            self._session.expunge_all()
        return result


def application_global_id(application_id: int) -> str:
    """The ``ExitApplication`` global ID: what raiseObjection takes as ``applicationId``."""
    return to_base64("ExitApplication", application_id)


VERSIONS: dict[int, ProcedureVersion] = {}
"""Stored procedure versions by id, kept for the process: a version row never changes
(a new version is a new row), and its definition is the largest thing a page reads."""


_GROUPS = ("household", "application", "details")
"""The groups of loaders Loaders builds on first use."""


class Loaders:
    """DataLoaders for one request (module-level loaders would cache across users)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self.jurisdiction: DataLoader[str, JurisdictionView | None] = DataLoader(
            self._jurisdictions
        )
        self.children: DataLoader[str, list[Jurisdiction]] = DataLoader(self._children)
        self.notice: DataLoader[NoticeKey, Notice | None] = DataLoader(self._notices)
        self.spot_check_frame: DataLoader[int, list[str]] = DataLoader(self._frames)
        """Frames of spot checks already read within scope, canonical order."""
        self._incidence: dict[int, DataLoader[str, UnitIncidence | None]] = {}
        self._statistics: dict[int, DataLoader[str, UnitFigures | None]] = {}
        self._tallies: dict[int, DataLoader[str, tuple[Tally, Tally]]] = {}

    def close(self) -> None:
        """Let go of every loader of the request (``Context.close``): each refers to its
        group through its load function, and keeps its last batch (with the rows it
        loaded) as well as its cache; with the groups emptied, reference counting frees
        them all. The loaders are not to be used afterwards."""
        groups = [self, *(self.__dict__.get(name) for name in _GROUPS)]
        for group in groups:
            if group is not None:
                vars(group).clear()

    # Built on first use: most requests touch one group or none, and building every
    # loader for every request was a tenth of an inbox request's CPU.
    @cached_property
    def household(self) -> HouseholdLoaders:
        return HouseholdLoaders(self._context)

    @cached_property
    def application(self) -> ApplicationLoaders:
        return ApplicationLoaders(self._context)

    @cached_property
    def details(self) -> DetailLoaders:
        return DetailLoaders(self._context)

    def incidence(self, year: int) -> DataLoader[str, UnitIncidence | None]:
        if year not in self._incidence:

            async def load(codes: Sequence[str]) -> list[UnitIncidence | None]:
                found = await self._context.read(
                    lambda s: registry.incidences(
                        s,
                        codes,
                        year=year,
                        scope=self._context.scope,
                        policy=self._context.policy,
                    )
                )
                return [found[code] for code in codes]

            self._incidence[year] = DataLoader(load)
        return self._incidence[year]

    def statistics(self, year: int) -> DataLoader[str, UnitFigures | None]:
        """Kept statistics per unit code (signed-in viewers; see services/statistics.py)."""
        if year not in self._statistics:
            principal = self._context.principal
            assert principal is not None

            async def load(codes: Sequence[str]) -> list[UnitFigures | None]:
                async def work(session: AsyncSession) -> dict[str, UnitFigures | None]:
                    await statistics.readable(session, self._context.authorizer, principal)
                    return await statistics.figures(
                        session, codes, year=year, scope=principal.read_scope()
                    )

                found = await self._context.read(work)
                return [found[code] for code in codes]

            self._statistics[year] = DataLoader(load)
        return self._statistics[year]

    def tallies(self, year: int) -> DataLoader[str, tuple[Tally, Tally]]:
        """Poor villages and counties per unit code, for units already read in scope."""
        if year not in self._tallies:
            context = self._context

            async def load(codes: Sequence[str]) -> list[tuple[Tally, Tally]]:
                found = await context.read(
                    lambda s: statistics.tallies(
                        s, codes, year=year, book=context.book, policy=context.policy
                    )
                )
                return [found[code] for code in codes]

            self._tallies[year] = DataLoader(load)
        return self._tallies[year]

    async def _jurisdictions(self, codes: Sequence[str]) -> list[JurisdictionView | None]:
        cache = self._context.divisions
        generation = cache.generation
        found = cache.known(codes)
        missing = [code for code in codes if code not in found]
        if missing:
            read = await self._context.read_primary(
                lambda s: jurisdiction_repo.by_codes(s, missing)
            )
            cache.keep(list(read.values()), generation)
            found.update(read)
        return [found.get(code) for code in codes]

    async def _notices(self, keys: Sequence[NoticeKey]) -> list[Notice | None]:
        """Notices as the viewer may read them (``api/services/notices.py`` decides)."""
        principal, now = self._context.principal, self._context.clock()

        async def work(session: AsyncSession) -> list[Notice | None]:
            return [
                await notices.find(
                    session, key, principal=principal, now=now, reference=application_global_id
                )
                for key in keys
            ]

        return await self._context.read(work)

    async def _frames(self, ids: Sequence[int]) -> list[list[str]]:
        found = await self._context.read(lambda s: spot_check_repo.frames(s, ids))
        return [found[i] for i in ids]

    async def _children(self, codes: Sequence[str]) -> list[list[Jurisdiction]]:
        found = await self._context.read(lambda s: jurisdiction_repo.children_of(s, codes))
        return [found[code] for code in codes]


class HouseholdLoaders:
    """Household rows, members and per-year figures, batched across the rows of a page."""

    def __init__(self, context: Context) -> None:
        self._context = context
        scope = context.scope

        async def members(ids: Sequence[int]) -> list[list[MemberView]]:
            found = await context.read(lambda s: household_repo.members_of(s, ids))
            return [found[i] for i in ids]

        async def by_id(ids: Sequence[int]) -> list[HouseholdView | None]:
            # Their villages and counties come along, and their members when a query
            # asks for them (with_members): those fields then read no statement of
            # their own.
            members = self.with_members
            found, units, grouped = await context.read(
                lambda s: household_repo.by_ids_with_units(s, ids, scope=scope, members=members)
            )
            context.loaders.jurisdiction.prime_many(units)
            self.members.prime_many(grouped)
            return [found.get(i) for i in ids]

        async def by_registry_no(keys: Sequence[str]) -> list[HouseholdView | None]:
            found = await context.read(
                lambda s: household_repo.by_registry_nos(s, keys, scope=scope)
            )
            return [found.get(k) for k in keys]

        self.members: DataLoader[int, list[MemberView]] = DataLoader(members)
        self.with_members = False
        """Set by a read that will ask for the members of the households it loads by id."""
        self.by_registry_no: DataLoader[str, HouseholdView | None] = DataLoader(by_registry_no)
        self.by_id: DataLoader[int, HouseholdView | None] = DataLoader(by_id)
        self._accounts: dict[int, DataLoader[int, HouseholdAccounts]] = {}
        self._checks: dict[int, DataLoader[int, StandardCheck | None]] = {}

    def accounts(self, year: int) -> DataLoader[int, HouseholdAccounts]:
        if year not in self._accounts:

            async def load(ids: Sequence[int]) -> list[HouseholdAccounts]:
                found = await self._context.read(
                    lambda s: registry.household_accounts(s, ids, year=year)
                )
                return [found[i] for i in ids]

            self._accounts[year] = DataLoader(load)
        return self._accounts[year]

    def check(self, year: int) -> DataLoader[int, StandardCheck | None]:
        if year not in self._checks:

            async def load(ids: Sequence[int]) -> list[StandardCheck | None]:
                async def work(session: AsyncSession) -> dict[int, StandardCheck]:
                    rows = await household_repo.by_ids(session, ids, scope=self._context.scope)
                    return await registry.check_households(
                        session, list(rows.values()), year=year, policy=self._context.policy
                    )

                found = await self._context.read(work)
                return [found.get(i) for i in ids]

            self._checks[year] = DataLoader(load)
        return self._checks[year]


class ApplicationLoaders:
    """An application's history, objections, evidence and procedure, batched."""

    def __init__(self, context: Context) -> None:
        read = context.read
        scope = context.scope

        async def records(ids: Sequence[int]) -> list[list[StageRecordView]]:
            found = await read(lambda s: app_repo.records_for(s, ids))
            return [found[i] for i in ids]

        async def objections(ids: Sequence[int]) -> list[list[Objection]]:
            found = await read(lambda s: app_repo.objections_for(s, ids))
            return [found[i] for i in ids]

        async def evidence(ids: Sequence[int]) -> list[list[Evidence]]:
            found = await read(lambda s: app_repo.evidence_for(s, ids))
            return [found[i] for i in ids]

        async def versions(ids: Sequence[int]) -> list[ProcedureVersion | None]:
            missing = [i for i in ids if i not in VERSIONS]
            if missing:
                found = await read(lambda s: app_repo.versions_by_id(s, missing))
                VERSIONS.update(found)
            return [VERSIONS.get(i) for i in ids]

        async def by_household(ids: Sequence[int]) -> list[ExitApplication | None]:
            found = await read(lambda s: app_repo.latest_for_households(s, ids, scope=scope))
            return [found.get(i) for i in ids]

        async def by_id(ids: Sequence[int]) -> list[ExitApplication | None]:
            found = await read(lambda s: app_repo.by_ids(s, ids, scope=scope))
            return [found.get(i) for i in ids]

        bars = context.policy.evaluation_bars

        async def county_evaluations(
            keys: Sequence[tuple[int, str]],
        ) -> list[list[evaluations.CountyEvaluation]]:
            found = await read(lambda s: evaluations.county_evaluations(s, keys, bars=bars))
            return [found[k] for k in keys]

        self.records: DataLoader[int, list[StageRecordView]] = DataLoader(records)
        self.objections: DataLoader[int, list[Objection]] = DataLoader(objections)
        self.evidence: DataLoader[int, list[Evidence]] = DataLoader(evidence)
        self.version: DataLoader[int, ProcedureVersion | None] = DataLoader(versions)
        self.current_for_household: DataLoader[int, ExitApplication | None] = DataLoader(
            by_household
        )
        self.by_id: DataLoader[int, ExitApplication | None] = DataLoader(by_id)
        self.evaluations: DataLoader[tuple[int, str], list[evaluations.CountyEvaluation]] = (
            DataLoader(county_evaluations)
        )
        """Keyed by (application id, county code): the code decides the incidence bar."""


class DetailLoaders:
    """Register details, designations, plans and audit trails, batched per request."""

    def __init__(self, context: Context) -> None:
        self._context = context
        read = context.read

        async def villages(codes: Sequence[str]) -> list[VillageDesignationRow | None]:
            found = await read(lambda s: jurisdiction_repo.village_designations(s, codes))
            return [found.get(c) for c in codes]

        async def counties(codes: Sequence[str]) -> list[CountyDesignationRow | None]:
            found = await read(lambda s: jurisdiction_repo.county_designations(s, codes))
            return [found.get(c) for c in codes]

        async def deliveries(ids: Sequence[int]) -> list[webhooks.DeliveryCounts]:
            found = await read(lambda s: webhooks.counts(s, ids))
            return [found[i] for i in ids]

        async def audit(ids: Sequence[int]) -> list[list[AuditEvent]]:
            found = await read(lambda s: app_repo.audit_for(s, ids))
            return [found[i] for i in ids]

        async def chain_heads(ids: Sequence[int]) -> list[Head | None]:
            found = await read(lambda s: chain.heads_of(s, ids))
            return [found.get(i) for i in ids]

        async def sync(keys: Sequence[tuple[str, str]]) -> list[Any]:
            found = await read(lambda s: change_repo.latest_for_subjects(s, keys))
            return [found.get(k) for k in keys]

        self.sync_status: DataLoader[tuple[str, str], Any] = DataLoader(sync)
        self.village_designation: DataLoader[str, VillageDesignationRow | None] = DataLoader(
            villages
        )
        self.county_designation: DataLoader[str, CountyDesignationRow | None] = DataLoader(counties)
        self.audit: DataLoader[int, list[AuditEvent]] = DataLoader(audit)
        self.chain_head: DataLoader[int, Head | None] = DataLoader(chain_heads)

        async def stored_files(hashes: Sequence[str]) -> list[EvidenceFile | None]:
            found = await read(lambda s: evidence_file_repo.by_hashes(s, hashes))
            return [found.get(h) for h in hashes]

        self.evidence_file: DataLoader[str, EvidenceFile | None] = DataLoader(stored_files)
        self.deliveries: DataLoader[int, webhooks.DeliveryCounts] = DataLoader(deliveries)
        self._yearly: dict[tuple[str, int], DataLoader[Any, Any]] = {}

    def _by_year(
        self, name: str, year: int, fetch: Callable[..., Awaitable[dict[Any, Any]]]
    ) -> DataLoader[Any, Any]:
        key = (name, year)
        if key not in self._yearly:

            async def load(keys: Sequence[Any]) -> list[Any]:
                found = await self._context.read(lambda s: fetch(s, keys, year=year))
                return [found[k] for k in keys]

            self._yearly[key] = DataLoader(load)
        return self._yearly[key]

    def incomes(self, year: int) -> DataLoader[int, list[IncomeRecord]]:
        return self._by_year("incomes", year, household_repo.income_records)

    def assessments(self, year: int) -> DataLoader[int, list[AssessmentRow]]:
        return self._by_year("assessments", year, household_repo.assessments)

    def exit_plans(self, year: int) -> DataLoader[str, list[ExitPlan]]:
        return self._by_year("plans", year, jurisdiction_repo.exit_plans)

    def village_indicators(self, year: int) -> DataLoader[str, VillageIndicators | None]:
        """Read like the statistics (services/statistics.py ``readable``)."""
        principal, authorizer = self._context.principal, self._context.authorizer
        assert principal is not None

        async def fetch(
            session: AsyncSession, codes: Sequence[str], *, year: int
        ) -> dict[str, VillageIndicators | None]:
            await statistics.readable(session, authorizer, principal)
            return await jurisdiction_repo.village_indicators(session, codes, year=year)

        return self._by_year("indicators", year, fetch)
