"""Log lines: one JSON object per line (production) or plain text (dev), each with the
request id of the request it was written in.

``config`` is a ``logging.config.dictConfig`` dictionary; ``tuopin serve`` hands it to
uvicorn (``log_config``), which applies it in every worker process, so uvicorn's own
loggers write the same lines. The JSON formatter is a few lines over orjson rather than
a dependency: a line is the record's standard fields plus whatever ``extra`` it carries.
"""

from __future__ import annotations

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

import orjson

from api.config import LogFormat, Settings
from api.observability.request_id import current_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
OWN_LOGGERS = ("tuopin", "api", "uvicorn", "uvicorn.error", "uvicorn.access")
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}  # uvicorn's message with terminal colours
)
"""Attributes every record has; anything else on a record came in through ``extra``."""


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_id(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


def config(settings: Settings) -> dict[str, Any]:
    """The dictConfig for the process: one stderr handler, the chosen format, and
    uvicorn's loggers writing through it."""
    level = settings.log_level.upper()
    chosen = "json" if settings.logs_as is LogFormat.JSON else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": chosen,
                "filters": ["request_id"],
            }
        },
        # The project's and uvicorn's loggers at the chosen level, through the root's
        # handler (uvicorn's own handlers are dropped); libraries' (casbin prints its
        # whole policy at INFO) at WARNING.
        "loggers": {
            name: {"level": level, "handlers": [], "propagate": True} for name in OWN_LOGGERS
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }


def configure(settings: Settings) -> None:
    """Apply ``config`` to this process (commands that run without uvicorn)."""
    logging.config.dictConfig(config(settings))
