"""What each printed dev token's holder can do next, read from the database as it is
now (so it stays true after you have acted): the applications in its inbox with their
stage, the spot-check findings it can record, the evaluations assigned to it, the
changes it has not acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.engine import Status
from api.domain.roles import Principal, Role
from api.procedure_files import ProcedureBook
from api.services import inbox

SHOWN = 3
"""Inbox items named per role; the rest are counted."""

RECORDS_FINDINGS = (
    Role.TOWNSHIP_GOVERNMENT,
    Role.MUNICIPAL_LEADING_GROUP,
    Role.PROVINCIAL_LEADING_GROUP,
)


async def next_steps(
    session: AsyncSession, book: ProcedureBook, principal: Principal, now: datetime
) -> list[str]:
    """One line per thing waiting on ``principal``; empty when nothing does."""
    lines = await _inbox(session, book, principal, now)
    if principal.role in RECORDS_FINDINGS:
        lines += await _open_spot_checks(session, principal)
    if principal.role is Role.THIRD_PARTY_EVALUATOR:
        lines += await _evaluations(session, principal)
    if principal.role is Role.INTEGRATOR:
        lines += await _changes(session, principal)
    if principal.role is Role.INSPECTOR:
        lines += await _readable(session, principal)
    return lines or await _coming(session, book, principal)


async def _inbox(
    session: AsyncSession, book: ProcedureBook, principal: Principal, now: datetime
) -> list[str]:
    waiting = await inbox.inbox(session, book, principal, first=100)
    lines = []
    for application, _ in waiting[:SHOWN]:
        flow = book.for_unit(application.unit_code).for_kind(application.subject_kind)
        stage = flow.stages[flow.index_of(application.stage)]
        line = (
            f"{application.subject_kind} {application.subject_key} waits at {stage.code} "
            f"({stage.zh}), application {application.id}"
        )
        ends = application.notice_ends_at
        if ends is not None and ends > now:
            line += f": on the public board until {ends:%Y-%m-%d %H:%M} UTC"
        elif stage.is_notice and application.notice_started_at is None:
            line += ": post its notice (postNotice)"
        lines.append(line)
    if len(waiting) > SHOWN:
        lines.append(f"… and {len(waiting) - SHOWN} more in viewer.inbox")
    return lines


async def _coming(session: AsyncSession, book: ProcedureBook, principal: Principal) -> list[str]:
    """Nothing waits: the open applications that will reach the role at a later stage."""
    open_ = (
        await session.execute(
            select(models.ExitApplication)
            .where(
                models.ExitApplication.unit_code.startswith(principal.jurisdiction),
                models.ExitApplication.status == Status.IN_PROGRESS,
            )
            .order_by(models.ExitApplication.id)
        )
    ).scalars()
    lines = []
    for application in open_:
        flow = book.for_unit(application.unit_code).for_kind(application.subject_kind)
        here = flow.index_of(application.stage)
        later = [
            s
            for s in flow.stages[here + 1 :]
            if principal.role in s.roles_for(application.designation)
        ]
        if later:
            lines.append(
                f"nothing waits yet: {application.subject_kind} {application.subject_key} "
                f"reaches you at {later[0].code} ({later[0].zh}); it is at "
                f"{application.stage} ({flow.stages[here].zh})"
            )
    return lines[:SHOWN]


async def _open_spot_checks(session: AsyncSession, principal: Principal) -> list[str]:
    open_ = (
        await session.execute(
            select(models.SpotCheck.id, func.count())
            .join(
                models.SpotCheckSubject,
                models.SpotCheckSubject.spot_check_id == models.SpotCheck.id,
            )
            .where(
                models.SpotCheck.unit_code == principal.jurisdiction,
                models.SpotCheckSubject.sample_rank.is_not(None),
                models.SpotCheckSubject.result.is_(None),
            )
            .group_by(models.SpotCheck.id)
            .order_by(models.SpotCheck.id)
        )
    ).all()
    return [
        f"spot check {spot_check_id}: {count} sampled subject(s) without a finding "
        "(recordSpotCheckFindings)"
        for spot_check_id, count in open_
    ]


async def _evaluations(session: AsyncSession, principal: Principal) -> list[str]:
    assigned = (
        await session.execute(
            select(models.ExitApplication.id, models.ExitApplication.subject_key)
            .join(
                models.EvaluationAssignment,
                models.EvaluationAssignment.application_id == models.ExitApplication.id,
            )
            .where(
                models.EvaluationAssignment.evaluator == principal.subject,
                models.ExitApplication.status == Status.IN_PROGRESS,
            )
            .order_by(models.ExitApplication.id)
        )
    ).all()
    return [
        f"county {key}, application {application_id}: evaluation assigned to you "
        "(recordEvaluationVillage, then submitEvaluation)"
        for application_id, key in assigned
    ]


async def _changes(session: AsyncSession, principal: Principal) -> list[str]:
    acknowledged = select(models.SyncAck.position)
    waiting = await session.scalar(
        select(func.count())
        .select_from(models.OutboxEvent)
        .where(
            models.OutboxEvent.unit_code.startswith(principal.jurisdiction),
            models.OutboxEvent.position.not_in(acknowledged),
        )
    )
    subscriptions = await session.scalar(
        select(func.count())
        .select_from(models.WebhookSubscription)
        .where(models.WebhookSubscription.created_by == principal.subject)
    )
    return [
        f"{waiting} change(s) in the feed not yet acknowledged (changes, acknowledgeChange)",
        f"{subscriptions} webhook subscription(s) with their deliveries (webhookSubscriptions; "
        "`tuopin deliver` sends them)",
    ]


async def _readable(session: AsyncSession, principal: Principal) -> list[str]:
    by_status: Sequence[tuple[str, int]] = (
        await session.execute(
            select(models.ExitApplication.status, func.count())
            .where(models.ExitApplication.unit_code.startswith(principal.jurisdiction))
            .group_by(models.ExitApplication.status)
            .order_by(models.ExitApplication.status)
        )
    ).all()
    counts = ", ".join(f"{n} {status}" for status, n in by_status)
    return [f"read every application here with its history and audit trail ({counts})"]


async def for_holders(
    database_url: str, principals: Sequence[Principal], now: datetime
) -> dict[str, list[str]] | None:
    """``next_steps`` of each principal by subject; None when the database holds no
    tables yet (the tokens are printed without them)."""
    from sqlalchemy import inspect

    from api.db.session import create_engine, session_factory
    from api.procedure_files import book

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            migrated = await connection.run_sync(
                lambda sync: inspect(sync).has_table("exit_applications")
            )
        if not migrated:
            return None
        procedures = book()
        async with session_factory(engine)() as session:
            return {p.subject: await next_steps(session, procedures, p, now) for p in principals}
    finally:
        await engine.dispose()
