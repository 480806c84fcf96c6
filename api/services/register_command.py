"""``tuopin import households`` and ``tuopin export``: files in, files out, with progress."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.session import create_engine
from api.domain import register_file, register_frame
from api.domain.jurisdictions import validate_code
from api.errors import ValidationFailed
from api.services import register_export, tables
from api.services.household_import import ImportReport, import_households

REPORT_HEADERS = ("行号", "列", "原因")
EXPORTS = ("deregistered", "exit-marks", "register")


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    report: ImportReport
    report_file: Path | None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )


async def run_import(
    settings: Settings,
    path: Path,
    *,
    atomic: bool,
    dry_run: bool,
    report_path: Path | None,
) -> ImportOutcome:
    with _progress() as bar:
        reading = bar.add_task("reading", total=None)
        digest, header, frame = _read(path)
        header_errors = register_file.check_headers(header)
        if header_errors:
            problems = "; ".join(f"{e.column}: {e.reason}" for e in header_errors)
            raise ValidationFailed(f"{path.name}: {problems}", path=("file",))
        bar.update(reading, total=frame.height, completed=frame.height)
        parsed = register_frame.parse_frame(
            register_frame.with_absent_columns(frame).select(list(register_frame.RAW_SCHEMA)),
            stripped=True,
        )
        writing = bar.add_task("writing", total=parsed.members.height)
        engine = create_engine(settings.database_url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
                report = await import_households(
                    session,
                    parsed,
                    actor=f"cli:import:{digest[:12]}",
                    now=datetime.now(UTC),
                    may_write=lambda _code: True,
                    atomic=atomic,
                    dry_run=dry_run,
                    progress=lambda n: bar.advance(writing, n),
                )
        finally:
            await engine.dispose()
    written = None
    if report.errors:
        written = report_path or path.with_name(f"{path.stem}.errors.csv")
        tables.write(
            written,
            REPORT_HEADERS,
            [[str(e.row), e.column, e.reason] for e in report.errors],
        )
    return ImportOutcome(report, written)


def _read(path: Path) -> tuple[str, list[str], pl.DataFrame]:
    """The file's digest and table, from one read of it."""
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file", path=("file",))
    data = path.read_bytes()
    header, frame = tables.read_frame(path, data)
    return hashlib.sha256(data).hexdigest(), header, frame


async def run_export(
    settings: Settings, kind: str, path: Path, *, year: int | None, under: str
) -> int:
    """Write the list; returns the number of data rows."""
    if kind not in EXPORTS:
        raise ValidationFailed(f"export one of: {', '.join(EXPORTS)}", path=("what",))
    if kind != "register" and year is None:
        raise ValidationFailed(f"--year is required for {kind}", path=("year",))
    tables.format_of(path)
    if under:
        validate_code(under)
    engine = create_engine(settings.database_url)
    try:
        async with AsyncSession(engine) as session:
            if kind == "deregistered":
                assert year is not None
                rows = await register_export.deregistered(session, year=year, under=under)
            elif kind == "exit-marks":
                assert year is not None
                rows = await register_export.exit_marks(session, year=year, under=under)
            else:
                rows = await register_export.register(session, under=under)
    finally:
        await engine.dispose()
    tables.write(path, register_export.headers_of(kind), rows)
    return len(rows)
