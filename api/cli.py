"""The ``tuopin`` command: serve, migrate, demo, deliver, import, export, statistics,
ledger, token, tokens, policy, schema.

Bad input gets one sentence on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from api.config import Settings, get_settings
from api.errors import ConfigurationError, TuopinError, ValidationFailed

app = typer.Typer(
    name="tuopin",
    help="tuopin (脱贫): the poverty-exit procedures API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    try:
        app()
    except TuopinError as exc:
        typer.secho(f"tuopin: {exc.message}", err=True, fg="red")
        sys.exit(2 if isinstance(exc, ValidationFailed | ConfigurationError) else 1)


def _settings() -> Settings:
    settings = get_settings()
    settings.require_production_secrets()
    return settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (GraphiQL at /graphql in dev mode; /healthz, /readyz, /metrics)."""
    import uvicorn

    from api.observability import logging as logs
    from api.observability import multiprocess

    settings = _settings()
    multiprocess.prepare(settings.state_dir)  # before any worker imports prometheus_client
    if settings.is_dev:
        key_file = settings.state_dir / "dev-signing-key"
        settings.signing_key()
        typer.echo(f"dev mode: tokens are signed with the HS256 key in {key_file}")
        typer.echo(f"GraphiQL: http://{host}:{port}/graphql")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logs.config(settings),
        log_level=settings.log_level,
        access_log=False,  # ObserveRequests writes one line per request, with its id
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema up to date."""
    from api.migrations import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {_safe_url(settings.database_url)}")


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if data is already loaded.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed for the synthetic people.")] = 2016,
) -> None:
    """Load the demo: Heilongjiang (Qiqihar, Baiquan, Yi'an) and Lanshan district."""
    from api.demo.command import load_demo

    settings = _settings()
    counts = asyncio.run(load_demo(settings, if_empty=if_empty, seed=seed))
    if counts is None:
        typer.echo("demo data already loaded; nothing to do")
        return
    typer.echo("demo data loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


@app.command()
def deliver(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit (for cron).")
    ] = False,
    poll_seconds: Annotated[float, typer.Option(min=0.05, help="Sleep between idle passes.")] = 2.0,
    lease_seconds: Annotated[
        float, typer.Option(min=1, help="How long a claimed delivery is ours before a retry.")
    ] = 60.0,
    timeout_seconds: Annotated[float, typer.Option(min=0.1, help="HTTP timeout.")] = 10.0,
    max_attempts: Annotated[int, typer.Option(min=1, help="Attempts before a dead letter.")] = 8,
    backoff_seconds: Annotated[
        float, typer.Option(min=0.01, help="First retry delay; doubles per attempt.")
    ] = 10.0,
) -> None:
    """Push changes to webhook subscriptions until stopped (SIGINT/SIGTERM end cleanly)."""
    from api.services.delivery_command import run_worker

    settings = _settings()
    asyncio.run(
        run_worker(
            settings,
            once=once,
            poll_seconds=poll_seconds,
            lease=timedelta(seconds=lease_seconds),
            timeout_seconds=timeout_seconds,
            max_attempts=max_attempts,
            backoff=timedelta(seconds=backoff_seconds),
        )
    )


import_app = typer.Typer(help="Load files into the register.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("households")
def import_households(
    file: Annotated[Path, typer.Argument(help="A .csv (UTF-8) or .xlsx register file.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; write nothing.")
    ] = False,
    atomic: Annotated[
        bool, typer.Option("--atomic", help="Write nothing if any row is bad.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Where to write the row errors (FILE.errors.csv).")
    ] = None,
) -> None:
    """Upsert households by registry number (户编号), one row per member, Chinese headers."""
    from api.services.register_command import run_import

    settings = _settings()
    outcome = asyncio.run(
        run_import(settings, file, atomic=atomic, dry_run=dry_run, report_path=report)
    )
    r = outcome.report
    verb = (
        "dry run, nothing written" if dry_run else ("written" if r.written else "nothing written")
    )
    typer.echo(
        f"{r.rows} rows: {r.created} households new, {r.updated} changed, "
        f"{r.unchanged} unchanged, {r.rejected} rejected; {verb}"
    )
    if outcome.report_file is not None:
        typer.echo(f"{len(r.errors)} errors (row, column, reason) in {outcome.report_file}")
        raise typer.Exit(1)


statistics_app = typer.Typer(help="The statistics kept per unit and year.", no_args_is_help=True)
app.add_typer(statistics_app, name="statistics")


@statistics_app.command("rebuild")
def statistics_rebuild() -> None:
    """Recompute every unit's statistics from the register, in one transaction (after a
    bulk load by other means; the API keeps them as it writes)."""
    from api.services.statistics_command import rebuild

    settings = _settings()
    started = time.perf_counter()
    households = asyncio.run(rebuild(settings.database_url))
    typer.echo(
        f"statistics rebuilt from {households:,} households "
        f"in {time.perf_counter() - started:.1f} s"
    )


ledger_app = typer.Typer(help="The hash chain over decision records.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("verify")
def ledger_verify(
    head: Annotated[
        list[str] | None,
        typer.Option(help="A head cited elsewhere (a notice, an export); must be in the chain."),
    ] = None,
) -> None:
    """Walk the chain and check every decision record against it; exit 1 and name the
    first broken link when anything was altered, removed or inserted."""
    from api.services.ledger_command import verify_ledger

    settings = _settings()
    started = time.perf_counter()
    verified = asyncio.run(verify_ledger(settings.database_url, cited=tuple(head or ())))
    if verified.broken is not None:
        typer.secho(
            f"ledger broken after {verified.entries:,} good entries: {verified.broken}",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)
    typer.echo(
        f"ledger holds: {verified.entries:,} entries, head {verified.head} "
        f"({time.perf_counter() - started:.1f} s)"
    )


@app.command("export")
def export(
    what: Annotated[str, typer.Argument(help="deregistered, exit-marks or register.")],
    file: Annotated[Path, typer.Argument(help="Output .csv or .xlsx.")],
    year: Annotated[int | None, typer.Option(help="The year (deregistered, exit-marks).")] = None,
    under: Annotated[str, typer.Option(help="Division code of the subtree ('' all).")] = "",
) -> None:
    """Write a list in the import format: de-registrations or village exit marks of a year."""
    from api.services.register_command import run_export

    settings = _settings()
    count = asyncio.run(run_export(settings, what, file, year=year, under=under))
    typer.echo(f"wrote {count} rows to {file}")


@app.command()
def generate(
    households: Annotated[int, typer.Option(min=1, help="How many households, e.g. 1000000.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 1,
) -> None:
    """Generate national-shaped synthetic data (COPY on PostgreSQL), in one transaction."""
    from api.generate.command import run_generate

    settings = _settings()
    counts, seconds = asyncio.run(run_generate(settings, households=households, seed=seed))
    rate = counts["households"] / seconds if seconds else 0.0
    typer.echo(
        ", ".join(f"{n:,} {table}" for table, n in counts.items())
        + f" in {seconds:.1f} s ({rate:,.0f} households/s)"
    )


@app.command()
def token(
    role: Annotated[str, typer.Option(help="Role, e.g. village_committees.")],
    jurisdiction: Annotated[
        str, typer.Option(help="Division code where the role is held ('' for national).")
    ] = "",
    subject: Annotated[str | None, typer.Option(help="Who the token is for.")] = None,
    ttl_minutes: Annotated[int | None, typer.Option(min=1, help="Lifetime in minutes.")] = None,
) -> None:
    """Print a dev access token for one role held in one jurisdiction."""
    from api.auth.tokens import issue_dev_token
    from api.demo.tokens import dev_subject
    from api.domain.roles import Principal, Role

    settings = _settings()
    try:
        parsed = Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"unknown role {role!r}; known roles: {known}") from None
    principal = Principal(
        subject=subject or dev_subject(parsed, jurisdiction),
        role=parsed,
        jurisdiction=jurisdiction,
    )
    ttl = timedelta(minutes=ttl_minutes or settings.token_ttl_minutes)
    typer.echo(issue_dev_token(principal, key=settings.signing_key(), ttl=ttl))


@app.command()
def tokens() -> None:
    """Print a ready-to-paste dev token for every role, held in a demo jurisdiction,
    with what its holder can do next in the database as it is now."""
    from datetime import UTC, datetime

    from api.auth.tokens import issue_dev_token
    from api.demo.next_steps import for_holders
    from api.demo.tokens import holders, label

    settings = _settings()
    principals = holders()
    waiting = asyncio.run(for_holders(settings.database_url, principals, datetime.now(UTC)))
    key = settings.signing_key()
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    typer.echo('Dev tokens (paste into GraphiQL\'s headers as {"Authorization": "Bearer …"}):')
    for principal in principals:
        typer.echo(f"\n# {label(principal)}")
        if waiting is not None:
            for line in waiting[principal.subject] or ["nothing waits on this role yet"]:
                typer.echo(f"#   next: {line}")
        typer.echo(f"Bearer {issue_dev_token(principal, key=key, ttl=ttl)}")
    typer.echo("")


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"


@app.command()
def policy(
    check: Annotated[
        bool, typer.Option("--check", help="Fail if the committed files are out of date.")
    ] = False,
) -> None:
    """Regenerate policies/policy.csv and docs/authorization-matrix.md from the procedures."""
    from api.authz.policy import POLICY_PATH, matrix_markdown, policy_text
    from api.procedure_files import load_book

    book = load_book()
    outputs = {
        POLICY_PATH: policy_text(book),
        ROOT / "docs" / "authorization-matrix.md": matrix_markdown(book),
    }
    stale = [
        p for p, text in outputs.items() if not p.is_file() or p.read_text(encoding="utf-8") != text
    ]
    if check:
        if stale:
            names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            raise ConfigurationError(f"out of date: {names}; run `tuopin policy`")
        typer.echo("policy and matrix are up to date")
        return
    for path in stale:
        path.write_text(outputs[path], encoding="utf-8")
        typer.echo(f"wrote {path.relative_to(ROOT)}")


@app.command()
def schema(
    check: Annotated[
        bool, typer.Option("--check", help="Fail if api/schema/schema.graphql is out of date.")
    ] = False,
) -> None:
    """Write the SDL snapshot of the GraphQL schema to api/schema/schema.graphql."""
    from api.schema.schema import schema as graphql_schema

    path = ROOT / "api" / "schema" / "schema.graphql"
    sdl = graphql_schema.as_str() + "\n"
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if check:
        if current != sdl:
            raise ConfigurationError(
                "api/schema/schema.graphql is out of date; run `tuopin schema`"
            )
        typer.echo("schema snapshot is up to date")
        return
    if current != sdl:
        path.write_text(sdl, encoding="utf-8")
        typer.echo("wrote api/schema/schema.graphql")
