"""Notices as documents, and who may read which.

The public (and any caller whose jurisdiction does not contain every subject of the
notice) reads a notice while it is on the board: while at least one of its subjects'
notices runs, and then only the subjects still on it (one withdrawn by an objection is
off the board). An announcement without a period is never on the board here: its
officials print and post it. Officials whose jurisdiction contains every subject (that
is, the notice's unit: the deepest unit containing them all) read it at any time, past
ones included, as it was posted. Anything else is not found: a notice not on the board
is no more public than the applications behind it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ExitApplication
from api.db.repositories import notices as notice_repo
from api.domain.engine import Status
from api.domain.jurisdictions import ancestors
from api.domain.notices import (
    Notice,
    NoticeFacts,
    NoticeKey,
    PostedSubject,
    Unit,
    common_unit,
    compose,
    posts_document,
)
from api.domain.register import ZH, SubjectKind, VillageDesignation
from api.domain.roles import PUBLIC_SCOPE, Principal
from api.services.workflow import snapshot

Reference = Callable[[int], str]
"""An application id as the public passes it to raiseObjection."""


async def find(
    session: AsyncSession,
    key: NoticeKey,
    *,
    principal: Principal | None,
    now: datetime,
    reference: Reference,
) -> Notice | None:
    """The notice ``key`` names as the caller may read it, or None."""
    found = await notice_repo.list_of(session, key.list_id)
    if found is None:
        return None
    exit_list, version = found
    procedure = snapshot(version)
    flow = procedure.for_kind(exit_list.subject_kind)
    stage = next((s for s in flow.stages if s.code == key.stage), None)
    if stage is None or not posts_document(stage):
        return None
    entries = await notice_repo.posted(session, key, on_approval=not stage.is_notice)
    if not entries:
        return None
    posted_in = [e.application.unit_code for e in entries]
    unit = common_unit(posted_in) or exit_list.unit_code
    scope = PUBLIC_SCOPE if principal is None else principal.read_scope()
    if not all(scope.covers(code) for code in posted_in):
        entries = [e for e in entries if _on_board(e.application, key, now)]
        if not entries:
            return None
    codes = [*ancestors(unit), unit]
    for entry in entries:
        codes += [*ancestors(entry.application.unit_code), entry.application.unit_code]
    units = await notice_repo.units(session, codes)

    def path(code: str) -> tuple[Unit, ...]:
        # A code the division table lacks shows as itself rather than vanish.
        return tuple(units.get(c, Unit(c, c)) for c in [*ancestors(code), code])

    subjects = tuple(
        PostedSubject(
            application_id=e.application.id,
            reference=reference(e.application.id),
            kind=e.application.subject_kind,
            path=path(e.application.unit_code),
            head_name=e.head_name,
            villager_group=e.villager_group,
            posted_at=e.posted_at,
            ends_at=None
            if stage.notice_days is None
            else e.posted_at + timedelta(days=stage.notice_days),
        )
        for e in entries
    )
    return compose(
        NoticeFacts(
            key=key,
            procedure_title=procedure.title,
            flow=flow,
            year=exit_list.year,
            unit_path=path(unit),
            subject_label=await _label(session, exit_list.subject_kind, subjects),
            subjects=subjects,
        )
    )


def _on_board(application: ExitApplication, key: NoticeKey, now: datetime) -> bool:
    """Whether the application's notice of ``key`` runs now (as ``posted_now`` reads it)."""
    started, ends = application.notice_started_at, application.notice_ends_at
    start, end = key.day_bounds()
    return (
        application.status is Status.IN_PROGRESS
        and application.stage == key.stage
        and started is not None
        and ends is not None
        and start <= started < end
        and started <= now < ends
    )


async def _label(
    session: AsyncSession, kind: SubjectKind, subjects: tuple[PostedSubject, ...]
) -> str:
    """贫困户 / 贫困县, and for villages their designation (Lanshan's 扶贫工作重点村)."""
    if kind is not SubjectKind.VILLAGE:
        return ZH[SubjectKind][kind]
    found = await notice_repo.village_labels(session, [s.path[-1].code for s in subjects])
    designations = set(found.values())
    if len(designations) == 1:
        return ZH[VillageDesignation][designations.pop()]
    return ZH[SubjectKind][kind]
