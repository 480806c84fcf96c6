"""What an operator sees of the running API: metrics, logs with a request id, traces.

``request_id``  the request's record (id, operation) in a contextvar
``logging``     JSON or text log lines carrying the request id; uvicorn's loggers too
``metrics``     Prometheus metrics (multiprocess under ``tuopin serve``), /metrics
``middleware``  the ASGI middleware that times, counts and logs every request
``operations``  the schema extension that names a request's GraphQL operation
``tracing``     OpenTelemetry, imported only when TUOPIN_OTEL_ENDPOINT is set
"""
