"""create_app(): routes, middleware and the lifespan that owns the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import orjson
from cross_web import HTTPException
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api import gc_tuning
from api.auth.middleware import BearerAuth
from api.auth.tokens import ProductionVerifier, RememberedTokens, verify_dev_token
from api.authz.enforcer import Authorizer
from api.authz.watch import PolicyWatch, asyncpg_dsn
from api.compiled.front import CompiledOperations
from api.config import Settings, get_settings
from api.db.division_cache import DivisionCache
from api.db.session import create_engine, read_session_factory, session_factory
from api.documents.routes import notice_html, notice_pdf
from api.domain.evidence_files import Limits as EvidenceLimits
from api.domain.roles import Principal
from api.files.routes import evidence_file
from api.files.store import store_of
from api.graphiql import ide
from api.http_limits import UPLOAD_OVERHEAD, BodySizeLimit, HeaderSizeLimit, error_response
from api.observability import metrics, multiprocess, tracing
from api.observability.metrics import MetricsRoute
from api.observability.middleware import ObserveRequests
from api.policy_files import standards
from api.procedure_files import book
from api.resolvers.context import Clock, Context, utc_now
from api.resolvers.replica import ReplicaReads
from api.schema.error_reporting import coded
from api.schema.errors import ErrorCode
from api.schema.labels import language_of
from api.schema.schema import ExtensionFactory, app_extensions, schema
from api.services import access


class TuopinGraphQL(GraphQL[Context, None]):
    extensions: tuple[ExtensionFactory, ...] = ()
    """This app's extensions on top of the schema's (tracing, replica reads)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ClientDisconnect:
            return  # the client left before sending its body: nobody to answer
        finally:
            context = scope.get("state", {}).pop(_CONTEXT, None)
            if context is not None:
                await context.close()

    async def render_graphql_ide(self, request: Any) -> Response:
        # GraphiQL from the project's own files (api/graphiql/), never from a CDN.
        return ide.page()

    def decode_json(self, data: str | bytes) -> object:
        # orjson raises JSONDecodeError (a json.JSONDecodeError) for invalid UTF-8 too,
        # which Strawberry answers with 400; json.loads would raise UnicodeDecodeError (500).
        decoded = orjson.loads(data)
        if not isinstance(decoded, dict):
            # Strawberry expects an object here and fails with a 500 on `0` or `"x"`.
            raise HTTPException(400, "the request body must be a JSON object")
        return decoded

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        compiled = getattr(request.app.state, "compiled", None)
        if compiled is not None and request.method == "POST":
            # A planned query, answered by one statement, or a planned mutation, by its
            # resolver without the general executor (api/compiled/); else None.
            answered = await compiled.answer(request)
            if answered is not None:
                return answered
        # Strawberry answers its HTTP-level refusals (not JSON, no query, GET for a
        # mutation) in plain text; a client gets them in the shape of every other error.
        token = app_extensions.set(self.extensions) if self.extensions else None
        try:
            return await super().run(request, *args, **kwargs)
        except HTTPException as exc:
            return error_response(exc.status_code, exc.reason, ErrorCode.BAD_REQUEST)
        finally:
            if token is not None:
                app_extensions.reset(token)
            # Uploaded parts (uploadEvidenceFile) are spooled to temporary files that
            # Strawberry does not close: the request's form closes them.
            await request.close()

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        # ErrorCodes codes the result's errors inside the operation; an error raised
        # around it (Strawberry's own fallback) still reaches the client coded and masked.
        if result.errors:
            result.errors = [coded(error) for error in result.errors]
            for error in result.errors:
                metrics.count_error(str((error.extensions or {}).get("code")), "graphql")
        return await super().process_result(request, result)

    async def get_context(self, request: Any, response: Any) -> Context:
        principal = request.scope.get("state", {}).get("principal")
        context = await context_of(request.app.state, principal)
        context.language = language_of(request.headers.get("accept-language")).value
        request.scope.setdefault("state", {})[_CONTEXT] = context
        return context


async def context_of(state: Any, principal: Principal | None) -> Context:
    """A request's context, from the app's state (``create_app``'s lifespan).

    A valid token counts only while its holding is recorded: a revoked or never-granted
    holding reads as the public (``context.principal`` is None).
    """
    context = Context(
        principal=principal,
        sessions=state.sessions,
        read_sessions=state.read_sessions,
        policy=state.policy,
        authorizer=state.authorizer,
        book=state.book,
        clock=state.clock,
        introspection=state.introspection,
        plain_http_webhooks=state.introspection,
        shared_reads=state.shared_reads,
        planned=state.planned,
        divisions=state.divisions,
        replica=state.replica_sessions,
        files=state.files,
        file_limits=state.file_limits,
    )
    if principal is None:
        return context
    authorizer = state.authorizer
    known = access.recorded_as_known(authorizer, principal)
    if known is not None:  # no session opened for what the process knows
        if not known:
            context.principal = None
        return context
    try:
        if not await context.read(
            lambda s: access.recorded(s, authorizer, principal, read_only=True)
        ):
            context.principal = None
    except BaseException:
        await context.close()
        raise
    return context


_CONTEXT = "tuopin.context"
"""Where the request's context waits, in the ASGI scope, to be closed after the response."""


def create_app(
    settings: Settings | None = None, *, clock: Clock = utc_now, planned: bool = True
) -> Starlette:
    """The ASGI app. ``clock`` is injectable so tests can let notice periods run;
    ``planned=False`` executes on graphql-core alone (no compiled reads either), the
    reference the tests compare planned execution with."""
    settings = settings or get_settings()
    settings.require_production_secrets()
    policy = standards()
    procedures = book()
    traced = tracing.configure(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.read_sessions = read_session_factory(engine)
        limit = settings.database_pool_size + settings.database_max_overflow
        metrics.instrument_pool(engine, name="primary", limit=limit)
        replica = None
        app.state.replica_sessions = None
        if settings.database_read_url is not None:
            replica = create_engine(
                settings.database_read_url,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
            )
            metrics.instrument_pool(replica, name="replica", limit=limit)
            app.state.replica_sessions = read_session_factory(replica)
        if multiprocess.enabled():
            multiprocess.forget_dead_processes()
        app.state.shared_reads = engine.dialect.name == "postgresql"  # autocommit reads
        app.state.planned = planned
        app.state.policy = policy
        app.state.book = procedures
        app.state.authorizer = Authorizer()
        app.state.divisions = DivisionCache()  # trusted only while the watch listens
        app.state.clock = clock
        app.state.files = store_of(settings)
        app.state.file_limits = EvidenceLimits(settings.evidence_max_bytes)
        # PDFs render in worker threads, two at a time: each is CPU-bound for a while.
        app.state.pdf_renders = anyio.CapacityLimiter(2)
        # Both follow dev mode: introspection, and webhooks to plain-http URLs.
        app.state.introspection = settings.is_dev
        if settings.gc_tuning:
            gc_tuning.tune()
        compiled = None
        wanted = settings.compiled_reads or settings.compiled_mutations
        if planned and wanted and engine.dialect.name == "postgresql":
            compiled = CompiledOperations(
                schema._schema,
                procedures,
                app.state.authorizer,
                dsn=asyncpg_dsn(settings.database_read_url or settings.database_url),
                pool_size=settings.database_pool_size,
                context=lambda principal: context_of(app.state, principal),
                reads=settings.compiled_reads,
                mutations=settings.compiled_mutations,
            )
            await compiled.start()
        app.state.compiled = compiled
        watch = None
        if engine.dialect.name == "postgresql":
            watch = PolicyWatch(
                asyncpg_dsn(settings.database_url),
                app.state.authorizer,
                divisions=app.state.divisions,
            )
            await watch.start()
        try:
            yield
        finally:
            if watch is not None:
                await watch.stop()
            if compiled is not None:
                await compiled.close()
            await engine.dispose()
            if replica is not None:
                await replica.dispose()
            if traced is not None:
                traced.shutdown()

    graphql = TuopinGraphQL(
        schema,
        graphql_ide="graphiql" if settings.is_dev else None,
        allow_queries_via_get=False,
        # Evidence files (uploadEvidenceFile). Tokens travel in a header, never in a
        # cookie, so a cross-site form cannot make a request in an official's name.
        multipart_uploads_enabled=True,
    )
    graphql.extensions = (
        *(() if traced is None else (traced.extension,)),
        *(() if settings.database_read_url is None else (ReplicaReads,)),
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/notices/{number}.pdf", notice_pdf, methods=["GET"]),
            Route("/notices/{number}.html", notice_html, methods=["GET"]),
            Route("/files/{sha256}", evidence_file, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *([Route("/graphiql/{name}", ide.asset)] if settings.is_dev else []),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BearerAuth, verify=RememberedTokens(_verifier(settings)))
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.evidence_max_bytes + UPLOAD_OVERHEAD,
    )
    app.add_middleware(HeaderSizeLimit)
    app.add_middleware(MetricsRoute, settings=settings)  # ahead of BearerAuth: not a JWT
    app.add_middleware(
        ObserveRequests,
        routes=app.routes,
        request_span=None if traced is None else traced.request_span,
    )
    return app


def _verifier(settings: Settings) -> Callable[[str], Principal]:
    if settings.is_dev:
        key = settings.signing_key()

        def verify(token: str) -> Principal:
            return verify_dev_token(token, key=key)

        return verify
    assert settings.jwt_issuer is not None  # require_production_secrets checked these
    assert settings.jwt_audience is not None
    return ProductionVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        public_key_file=settings.jwt_public_key_file,
        jwks_file=settings.jwt_jwks_file,
    )


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: the database answers and the schema is migrated."""
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1 FROM alembic_version"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, 503)
    return JSONResponse({"status": "ready"})
