"""Rankers: by tests (primary), and the fallbacks when tests do not separate candidates."""

from bestofn.rerank.policy import decide

__all__ = ["decide"]
