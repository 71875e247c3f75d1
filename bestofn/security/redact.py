"""Keep secrets out of log lines and stored free text.

Secrets are the settings' LLM key, GitHub token and the database/Redis passwords.
Each is replaced by ``***`` wherever it appears; credentials inside any URL
(``scheme://user:pass@host``) are masked too. Values shorter than 8 characters
are only masked inside URLs: replacing a short word everywhere would mangle logs
(and such a password is no secret anyway).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.engine import make_url

from bestofn.settings import Settings

MASK = "***"
MIN_LEN = 8
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:]*):(?P<pw>[^\s/@]+)@")
_secrets: tuple[str, ...] = ()
_installed = False


def _password(url: str) -> str:
    if not url:
        return ""
    try:
        return make_url(url).password or ""
    except Exception:  # not a URL SQLAlchemy can parse: its regex mask still applies
        return ""


def secret_values(settings: Settings) -> tuple[str, ...]:
    """The configured secret strings long enough to mask verbatim, longest first."""
    values = {
        settings.openai_api_key.get_secret_value(),
        settings.github_token.get_secret_value(),
        str(_password(settings.database_url)),
        str(_password(settings.redis_url)),
    }
    return tuple(sorted((v for v in values if len(v) >= MIN_LEN), key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """``text`` with every secret and every URL password masked."""
    for value in _secrets if secrets is None else secrets:
        if value in text:
            text = text.replace(value, MASK)
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def describe_failure(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line`` of an unexpected error, fit for a task's ``reason``: no SQL text, no
    bound parameters, no traceback, no secrets (database errors quote all three after the first line)."""
    text = str(exc).strip()
    for cut in ("[SQL:", "[parameters:", "(Background on this error", "\n"):
        text = text.split(cut, 1)[0]
    return redact(f"{type(exc).__name__}: {text.strip()}" if text.strip() else type(exc).__name__)[:limit]


def install_log_redaction(settings: Settings) -> None:
    """Mask secrets in every log record this process creates (idempotent).

    A record factory rather than a handler filter: it covers handlers that
    Celery, uvicorn or a library add later, and tracebacks (``exc_text``).
    """
    global _secrets, _installed
    _secrets = secret_values(settings)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _scrub(record: logging.LogRecord) -> None:
    """Mask in place; keep ``msg``/``args`` apart when possible (uvicorn's access log unpacks args)."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: leave it for logging to report
        return
    if redact(message) == message:
        return
    if isinstance(record.msg, str) and isinstance(record.args, tuple):
        record.msg = redact(record.msg)
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        try:
            if redact(record.getMessage()) == record.getMessage():
                return
        except Exception:
            pass
    record.msg, record.args = redact(message), None
