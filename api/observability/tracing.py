"""OpenTelemetry tracing, on when TUOPIN_OTEL_ENDPOINT names an OTLP/HTTP traces URL.

Unset, nothing here imports OpenTelemetry and no extension or span is added. Set, the
app gets its own TracerProvider (service name TUOPIN_OTEL_SERVICE_NAME, spans batched
to the endpoint), a server span per request (continuing an incoming W3C
``traceparent``), and Strawberry's ``OpenTelemetryExtension`` with spans for the
operation, parsing, validation and each resolver. Argument values are left out of the
spans: they carry ID numbers and names. The extension's per-resolver hook makes
operations run on graphql-core's own executor (no planned execution): expect several
times the CPU per request while tracing, and sample (OTEL_TRACES_SAMPLER=
parentbased_traceidratio, OTEL_TRACES_SAMPLER_ARG=0.01) rather than trace everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.config import Settings
from api.errors import ConfigurationError
from api.observability.request_id import current_id

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from starlette.types import Scope
    from strawberry.extensions import SchemaExtension


@dataclass(frozen=True)
class Tracing:
    provider: TracerProvider

    def extension(self) -> SchemaExtension:
        """A fresh OpenTelemetryExtension for one operation (a factory, as Strawberry asks)."""
        from strawberry.extensions.tracing import OpenTelemetryExtension

        return OpenTelemetryExtension(tracer_provider=self.provider, arg_filter=_no_arguments)

    def request_span(self, scope: Scope) -> AbstractContextManager[_Answered]:
        return _request_span(self.provider, scope)

    def shutdown(self) -> None:
        """Send what is batched and stop (at the end of the lifespan)."""
        self.provider.shutdown()


def configure(settings: Settings, *, exporter: SpanExporter | None = None) -> Tracing | None:
    """Tracing for one app, or None when TUOPIN_OTEL_ENDPOINT is unset. ``exporter``
    replaces the OTLP exporter (tests use the SDK's InMemorySpanExporter), spans then
    going out one by one as they end."""
    if settings.otel_endpoint is None:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        raise ConfigurationError(
            f"TUOPIN_OTEL_ENDPOINT is set but OpenTelemetry is not installed ({exc.name} "
            "is missing): install tuopin[otel], or unset TUOPIN_OTEL_ENDPOINT"
        ) from None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name}))
    if exporter is None:
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_endpoint))
        )
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Tracing(provider)


@contextmanager
def _request_span(provider: TracerProvider, scope: Scope) -> Iterator[_Answered]:
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    method: str = scope["method"]
    tracer = provider.get_tracer("tuopin")
    with tracer.start_as_current_span(
        f"{method} {scope['path']}",
        context=propagate.extract(headers),
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": method,
            "url.path": scope["path"],
            "tuopin.request_id": current_id() or "",
        },
    ) as span:
        yield _Answered(span)


@dataclass(frozen=True)
class _Answered:
    span: Any

    def answered(self, status: int) -> None:
        from opentelemetry.trace import StatusCode

        self.span.set_attribute("http.response.status_code", status)
        if status >= 500:
            self.span.set_status(StatusCode.ERROR)


def _no_arguments(args: dict[str, Any], info: Any) -> dict[str, Any]:
    return {}
