"""API security: hashed API keys, per-key rate limits and quotas, body limits, secret redaction.

Each module has one job; ``api/`` wires them in with a dependency and a middleware.
"""
