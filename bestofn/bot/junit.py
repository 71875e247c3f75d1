"""Per-test outcomes from a JUnit XML report (pytest's ``--junitxml``), pure.

The bot compares runs test by test, so it needs stable test ids and outcomes,
not pytest's human output. Ids are ``classname::name`` exactly as pytest writes
them, which is the same in every run of the same suite.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bestofn.schemas import TestOutcome

_MESSAGE_CHARS = 500


def parse_junit(xml_text: str) -> list[TestOutcome] | None:
    """The test cases in a report, or None when there is no report or it does not parse."""
    if not xml_text.strip():
        return None
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return None
    outcomes: list[TestOutcome] = []
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "")
        test_id = f"{classname}::{name}" if classname else name
        outcome, message = "passed", ""
        for tag, meaning in (("error", "error"), ("failure", "failed"), ("skipped", "skipped")):
            node = case.find(tag)
            if node is not None:
                outcome = meaning
                message = (node.get("message") or node.text or "")[:_MESSAGE_CHARS]
                break
        try:
            duration_ms = float(case.get("time") or 0.0) * 1000
        except ValueError:
            duration_ms = 0.0
        outcomes.append(TestOutcome(name=test_id, outcome=outcome, duration_ms=round(duration_ms, 3), message=message))
    return outcomes
