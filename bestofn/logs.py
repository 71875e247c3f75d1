"""JSON log lines for the API and the workers, with task and candidate ids as fields.

One line per record: ``ts``, ``level``, ``logger``, ``msg`` and whatever the
call passed in ``extra`` (``task_id``, ``candidate``, ``wave``...), so a log
store can filter one task across API and worker processes. Secrets never reach
a line: the record factory of ``bestofn.security.redact`` masks the message
and the formatter masks the finished line (extras included).
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from datetime import datetime, timezone
from typing import Any

from bestofn.security.redact import install_log_redaction, redact
from bestofn.settings import Settings, get_settings

_STANDARD = frozenset(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """A record as one JSON object; non-JSON values become strings."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str, ensure_ascii=False))


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring twice replaces it."""


def configure_logging(settings: Settings | None = None) -> None:
    """Root logging for a process: JSON (or plain text) to stderr, secrets masked (idempotent)."""
    s = settings or get_settings()
    install_log_redaction(s)
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(h)
    handler = _Handler()
    handler.setFormatter(JsonFormatter() if s.log_format == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(s.log_level.upper())


class TaskLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger that adds the task id (and any fixed fields) to every record, merged with the call's extra."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs


def task_log(logger: logging.Logger, task_id: str, **fields: Any) -> TaskLog:
    return TaskLog(logger, {"task_id": task_id, **fields})
