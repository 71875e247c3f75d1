"""Reading structured data out of a model's free-text reply.

Why: small models wrap JSON in fences or prose even when asked not to, so
every LLM-backed ranker needs the same tolerant first-JSON-value reader.
"""

from __future__ import annotations

import json
import re


def first_json(text: str) -> object | None:
    """The first JSON object or array in a reply (fences and prose around it tolerated), else None."""
    text = re.sub(r"```[A-Za-z]*", "", text)
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "[{":
            try:
                return decoder.raw_decode(text[i:])[0]
            except json.JSONDecodeError:
                continue
    return None
