"""Hardened Docker sandbox: run untrusted candidate code against tests, get values back.

See ``api`` for the functions, ``config`` for ``SandboxConfig`` (every function takes
one as ``config``: the sandbox reads no settings) and the hardening, ``image/runner.py``
for what runs inside, and ``parse`` for how raw records become results.
"""

from sandbox.api import run_candidate, run_inputs, run_many
from sandbox.build import ensure_image
from sandbox.client import SandboxUnavailable
from sandbox.config import SandboxConfig
from sandbox.pool import RunnerPool
from sandbox.reaper import reap

__all__ = ["RunnerPool", "SandboxConfig", "SandboxUnavailable", "ensure_image", "reap", "run_candidate", "run_inputs",
           "run_many"]
