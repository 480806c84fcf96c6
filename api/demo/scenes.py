"""The demo's work in progress: what officials did before the demo opens, done through
the same use cases a request runs, so every role printed by ``tuopin tokens`` finds
something waiting and every README example has a subject.

Each scene is dated back from the moment the demo loads (notices that have run their
days, one that is still on the board), and its earlier stages are performed by the
*colleagues* of the printed token holders (``demo:<role>:<unit>:2``), so that the
separation of duties lets the token holder take the next step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.db import models
from api.db.repositories import evidence_files as file_repo
from api.demo.tokens import HEILONGJIANG_VILLAGE, LANSHAN_TOWN, dev_subject
from api.domain import evidence_files
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import ExitAttribute, SubjectKind
from api.domain.roles import Principal, Role
from api.domain.spot_checks import Basis
from api.errors import StandardNotMet
from api.files.store import FileStore
from api.policy_files import standards
from api.procedure_files import book
from api.services import access, delivery, evaluations, exits, registry, spot_checks, webhooks
from api.services.exits import Env, EvidenceInput

YEAR = 2016
"""The year of every demo list: the register's data are for 2016."""

HLJ_TOWN = HEILONGJIANG_VILLAGE[:9]
BAIQUAN = HEILONGJIANG_VILLAGE[:6]
YIAN = "230223"
QIQIHAR = HEILONGJIANG_VILLAGE[:4]
LANSHAN = LANSHAN_TOWN[:6]
WEBHOOK_URL = "https://sync.example.gov.cn/tuopin"
NOTICE_DAYS = 7
"""The village notice's days in both procedures (村内公示)."""
ACKNOWLEDGED = (EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)


DOCUMENTS = Path(__file__).resolve().parent / "files"
"""Real documents some demo evidence cites (PDFs made for the demo): stored as evidence
files when the demo loads, so evidence is listed with its file."""
DOCUMENT_NAMES = {
    EvidenceKind.VERIFICATION_RECORD: "verification-record-{key}.pdf",
    EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT: "household-acknowledgment-{key}.pdf",
}


def document(kind: EvidenceKind, key: str) -> tuple[Path, bytes] | None:
    """The demo's document of this kind for subject ``key`` and its bytes, if it has one."""
    name = DOCUMENT_NAMES.get(kind)
    path = None if name is None else DOCUMENTS / name.format(key=key)
    return None if path is None or not path.is_file() else (path, path.read_bytes())


def proof(kind: EvidenceKind, reference: str) -> EvidenceInput:
    """Hash-only evidence whose sha256 is that of its reference text (UTF-8), standing in
    for the document, as in the README's examples."""
    return EvidenceInput(kind, reference, hashlib.sha256(reference.encode()).hexdigest())


class Scenes:
    """Runs the scenes in the caller's transaction, dated back from ``now``."""

    def __init__(self, session: AsyncSession, now: datetime, store: FileStore) -> None:
        self.session = session
        self.now = now
        self._env = Env(
            session=session,
            authorizer=Authorizer(),
            book=book(),
            standards=standards(),
            now=now,
        )
        self.store = store
        self.uploaded = 0

    async def upload(
        self, path: Path, sha256: str, size: int, who: Principal, at: datetime
    ) -> None:
        """Store a demo document as ``who`` uploading it, before it is cited."""
        await self.store.put(path, sha256=sha256, media_type="application/pdf")
        await file_repo.record_upload(
            self.session,
            sha256=sha256,
            size=size,
            media_type="application/pdf",
            name=path.name,
            uploader=who,
            at=at,
        )
        self.uploaded += 1

    def ago(self, days: float) -> Env:
        return replace(self._env, now=self.now - timedelta(days=days))

    def holder(self, role: Role, unit: str) -> Principal:
        """The printed token's holder (its holding is granted by ``load_demo``)."""
        return Principal(subject=dev_subject(role, unit), role=role, jurisdiction=unit)

    async def colleague(self, role: Role, unit: str, n: int = 2) -> Principal:
        """Another holder of the same role and unit, for the stages done before."""
        subject = f"demo:{role}:{unit or 'national'}:{n}"
        exists = await self.session.scalar(
            select(func.count())
            .select_from(models.RoleAssignment)
            .where(models.RoleAssignment.subject == subject)
        )
        if not exists:
            await access.grant_bootstrap(
                self.session,
                subject=subject,
                role=role,
                jurisdiction=unit,
                now=self.now - timedelta(days=60),
            )
        return Principal(subject=subject, role=role, jurisdiction=unit)

    async def eligible(self, village: str, n: int) -> list[str]:
        """The first ``n`` not-exited households of ``village`` that meet the standard."""
        rows = (
            (
                await self.session.execute(
                    select(models.Household)
                    .where(
                        models.Household.village_code == village,
                        models.Household.exit_attribute == ExitAttribute.NOT_EXITED,
                    )
                    .order_by(models.Household.registry_no)
                )
            )
            .scalars()
            .all()
        )
        checks = await registry.check_households(
            self.session, rows, year=YEAR, policy=self._env.standards
        )
        chosen = [h.registry_no for h in rows if checks[h.id].met][:n]
        if len(chosen) < n:
            raise RuntimeError(f"the demo has too few eligible households in {village}")
        return chosen

    async def villages(self, under: str) -> list[str]:
        return list(
            (
                await self.session.execute(
                    select(models.Jurisdiction.code)
                    .where(
                        models.Jurisdiction.code.startswith(under),
                        func.length(models.Jurisdiction.code) == 12,
                    )
                    .order_by(models.Jurisdiction.code)
                )
            ).scalars()
        )

    async def propose_households(
        self, village: str, keys: Sequence[str], *, days_ago: float
    ) -> list[models.ExitApplication]:
        proposer = await self.colleague(Role.VILLAGE_COMMITTEES, village)
        proposed = await exits.propose(
            self.ago(days_ago),
            proposer,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=YEAR,
            subjects=list(keys),
            evidence=[proof(EvidenceKind.ASSEMBLY_MINUTES, f"{village} 村民代表大会民主评议记录")],
        )
        return proposed.applications

    async def approve(
        self,
        who: Principal,
        application: models.ExitApplication,
        stage: str,
        *kinds: EvidenceKind,
        days_ago: float,
    ) -> None:
        env = self.ago(days_ago)
        evidence = []
        for kind in kinds:
            found = document(kind, application.subject_key)
            if found is None:
                evidence.append(proof(kind, f"{application.subject_key} {stage} {kind}"))
                continue
            path, data = found
            sha256 = hashlib.sha256(data).hexdigest()
            await self.upload(path, sha256, len(data), who, env.now)
            evidence.append(EvidenceInput(kind, evidence_files.reference_of(sha256), sha256))
        await exits.perform(
            env,
            who,
            application_id=application.id,
            stage=stage,
            decision=Decision.APPROVE,
            evidence=evidence,
        )

    async def post(
        self, who: Principal, application: models.ExitApplication, stage: str, *, days_ago: float
    ) -> None:
        await exits.post_notice(
            self.ago(days_ago),
            who,
            application_id=application.id,
            stage=stage,
            evidence=[
                proof(EvidenceKind.NOTICE_POSTING, f"{application.subject_key} {stage} 公示照片")
            ],
        )

    async def through_village_notice(
        self, village: str, key: str, *, days_ago: float, approved: bool
    ) -> models.ExitApplication:
        """A household proposed ``days_ago``, verified the day after, its village notice
        posted the day after that and, if ``approved``, approved once its days ran."""
        committee = await self.colleague(Role.VILLAGE_COMMITTEES, village)
        team = await self.colleague(Role.RESIDENT_WORK_TEAM, village)
        (application,) = await self.propose_households(village, [key], days_ago=days_ago)
        await self.approve(team, application, "verification", *ACKNOWLEDGED, days_ago=days_ago - 1)
        await self.post(committee, application, "village_notice", days_ago=days_ago - 2)
        if approved:
            await self.approve(
                committee, application, "village_notice", days_ago=days_ago - 2 - NOTICE_DAYS
            )
        return application

    # ------------------------------------------------------------------ Heilongjiang

    async def heilongjiang_households(self) -> None:
        village = HEILONGJIANG_VILLAGE
        county2 = await self.colleague(Role.COUNTY_LEADING_GROUP, BAIQUAN)
        exited_key, verify_key, board_key, announce_key = await self.eligible(village, 4)

        # Exited: all four stages, a month ago.
        exited = await self.through_village_notice(village, exited_key, days_ago=40, approved=True)
        await self.approve(
            county2, exited, "announcement", EvidenceKind.NOTICE_POSTING, days_ago=29
        )
        # At the announcement: the county's turn.
        await self.through_village_notice(village, announce_key, days_ago=12, approved=True)
        # On the village's public board: its 7 days end in 5 days.
        await self.through_village_notice(village, board_key, days_ago=4, approved=False)

        # Proposed yesterday: verification (核实认可) waits on any village role.
        await self.propose_households(village, [verify_key], days_ago=1)

        # A spot check of the year's exits in the town, drawn, its finding not yet in.
        town2 = await self.colleague(Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN)
        await spot_checks.draw(
            self.ago(20),
            town2,
            kind=SubjectKind.HOUSEHOLD,
            basis=Basis.EXITED,
            unit_code=HLJ_TOWN,
            year=YEAR,
            count=1,
            seed="2016-12-01 公开摇号 0391",
        )

    async def heilongjiang_village(self) -> None:
        """A village past the county's investigation, its township notice to post."""
        county2 = await self.colleague(Role.COUNTY_LEADING_GROUP, BAIQUAN)
        for village in await self.villages(HLJ_TOWN):
            try:
                await exits.propose(
                    self.ago(6),
                    county2,
                    kind=SubjectKind.VILLAGE,
                    unit_code=BAIQUAN,
                    year=YEAR,
                    subjects=[village],
                    evidence=[
                        proof(EvidenceKind.INVESTIGATION_REPORT, f"{village} 退出调查核实报告")
                    ],
                )
            except StandardNotMet:
                continue
            return
        raise RuntimeError(f"no village under {HLJ_TOWN} meets the village exit standard")

    async def heilongjiang_counties(self) -> None:
        """依安县 at the municipal review, its third-party evaluation under way; a
        provincial spot check of the year's exits, its finding not yet in."""
        county = await self.colleague(Role.COUNTY_LEADING_GROUP, YIAN)
        municipal2 = await self.colleague(Role.MUNICIPAL_LEADING_GROUP, QIQIHAR)
        (yian,) = (
            await exits.propose(
                self.ago(15),
                county,
                kind=SubjectKind.COUNTY,
                unit_code=YIAN,
                year=YEAR,
                subjects=[YIAN],
                evidence=[proof(EvidenceKind.APPLICATION_DOCUMENT, "依安县贫困县退出申请")],
            )
        ).applications
        evaluator = self.holder(Role.THIRD_PARTY_EVALUATOR, YIAN)
        await evaluations.assign_evaluator(
            self.ago(14), municipal2, application_id=yian.id, evaluator=evaluator.subject
        )
        await evaluations.record_village(
            self.ago(7),
            evaluator,
            application_id=yian.id,
            village_code=(await self.villages(YIAN))[0],
            rural_population=1000,
            households=[
                evaluations.SampledHouseholdInput(
                    survey_no=f"Q{n:03d}",
                    people=3,
                    registered=True,
                    exited=n % 3 == 0,
                    found_poor=False,
                    recognises=n != 7,
                )
                for n in range(1, 13)
            ],
        )
        province2 = await self.colleague(Role.PROVINCIAL_LEADING_GROUP, "23")
        await spot_checks.draw(
            self.ago(10),
            province2,
            kind=SubjectKind.HOUSEHOLD,
            basis=Basis.EXITED,
            unit_code="23",
            year=YEAR,
            count=1,
            seed="2016-12-05 省级抽查 公开摇号 1127",
        )

    # ---------------------------------------------------------------------- Lanshan

    async def lanshan(self) -> None:
        town2 = await self.colleague(Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)
        villages = await self.villages(LANSHAN_TOWN)
        village = villages[0]
        committee3 = await self.colleague(Role.VILLAGE_COMMITTEES, village, 3)
        review_key, board_key = await self.eligible(village, 2)

        # At the town's spot check (抽查审核): the town draws, records, approves.
        review = await self.through_village_notice(village, review_key, days_ago=14, approved=True)
        await self.approve(
            committee3, review, "report_to_town", EvidenceKind.REPORT_DOCUMENT, days_ago=3
        )
        # On the Lanshan village's board.
        await self.through_village_notice(village, board_key, days_ago=3, approved=False)

        # A village at the district's evaluation (评估确认).
        for candidate in villages:
            try:
                proposed = await exits.propose(
                    self.ago(12),
                    town2,
                    kind=SubjectKind.VILLAGE,
                    unit_code=LANSHAN_TOWN,
                    year=YEAR,
                    subjects=[candidate],
                    evidence=[
                        proof(EvidenceKind.INVESTIGATION_REPORT, f"{candidate} 拟退出村调查报告")
                    ],
                )
            except StandardNotMet:
                continue
            (application,) = proposed.applications
            town3 = await self.colleague(Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN, 3)
            await self.post(town3, application, "village_notice", days_ago=11)
            await self.approve(town3, application, "village_notice", days_ago=3)
            return
        raise RuntimeError(f"no village under {LANSHAN_TOWN} meets the village exit standard")

    # ----------------------------------------------------------------- integrators

    async def webhook(self) -> None:
        integrator = self.holder(Role.INTEGRATOR, "23")
        await webhooks.create(
            self.ago(0.5),
            integrator,
            url=WEBHOOK_URL,
            kinds=[],
            jurisdiction="23",
            secret=None,
            from_start=True,
            allow_http=False,
        )
        await delivery.enqueue(self.session, now=self.now, batch=10_000)


async def run(session: AsyncSession, now: datetime, store: FileStore) -> int:
    """Every scene, in the caller's transaction; the number of documents stored in ``store``."""
    scenes = Scenes(session, now, store)
    await scenes.heilongjiang_households()
    await scenes.heilongjiang_village()
    await scenes.heilongjiang_counties()
    await scenes.lanshan()
    await scenes.webhook()
    return scenes.uploaded
