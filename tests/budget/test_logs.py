"""JSON log lines: ids as fields, one object per line, and no secret ever printed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bestofn.logs import JsonFormatter, _Handler, configure_logging, task_log
from bestofn.security.redact import install_log_redaction
from bestofn.settings import Settings

KEY = "sk-live-0123456789abcdef"
DB_PASSWORD = "hunter2-correct-horse"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The process's logging as the API configures it, its handler writing to a buffer."""
    root = logging.getLogger()
    level = root.level
    configure_logging(Settings(openai_api_key=SecretStr(KEY), log_level="INFO",
                               database_url=f"postgresql+psycopg://bestofn:{DB_PASSWORD}@db:5432/bestofn"))
    buffer = io.StringIO()
    for h in root.handlers:
        if isinstance(h, _Handler):
            h.setStream(buffer)
    try:
        yield buffer
    finally:
        for h in [h for h in root.handlers if isinstance(h, _Handler)]:
            root.removeHandler(h)
        root.setLevel(level)
        install_log_redaction(Settings())


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_task_and_candidate_ids_are_fields(json_logs: io.StringIO) -> None:
    log = task_log(logging.getLogger("bestofn.pipeline"), "abc123", tier="standard")
    log.info("wave generated", extra={"wave": 1, "candidates": [1, 2, 3]})
    logging.getLogger("bestofn.pipeline").info("candidate stored", extra={"task_id": "abc123", "candidate": 2})
    first, second = _lines(json_logs)[-2:]
    assert first["msg"] == "wave generated" and first["task_id"] == "abc123" and first["tier"] == "standard"
    assert first["wave"] == 1 and first["candidates"] == [1, 2, 3]
    assert first["level"] == "INFO" and first["logger"] == "bestofn.pipeline" and first["ts"].endswith("+00:00")
    assert second["candidate"] == 2 and second["task_id"] == "abc123"


def test_secrets_never_reach_a_line(json_logs: io.StringIO) -> None:
    log = logging.getLogger("bestofn.test")
    log.warning("calling with key %s", KEY)
    log.warning("database at postgresql://bestofn:%s@db/bestofn", DB_PASSWORD)
    log.warning("extras too", extra={"header": f"Bearer {KEY}", "url": f"redis://:{DB_PASSWORD}@r:6379/0"})
    try:
        raise RuntimeError(f"boom {KEY}")
    except RuntimeError:
        log.exception("failed")
    text = json.dumps(_lines(json_logs))
    assert KEY not in text and DB_PASSWORD not in text
    assert text.count("***") >= 4


def test_formatter_is_one_json_object_per_record() -> None:
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "multi\nline %s", ("arg",), None)
    rec.task_id = "t1"
    out = JsonFormatter().format(rec)
    assert "\n" not in out and json.loads(out)["msg"] == "multi\nline arg" and json.loads(out)["task_id"] == "t1"
