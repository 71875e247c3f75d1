"""Inference budget: a policy of tiers and guardrails, routing, the pre-spend guard, spend tracking.

- ``policy``: the TOML file (``BESTOFN_POLICY_FILE``), validated.
- ``routing``: a task's tier and the values its tier fills in.
- ``guard``: worst-case cost against the limits; refuse or downgrade.
- ``admission``: the guard under a lock, storing the task with its reservation.
- ``runtime``: the stored plan as the worker applies it, and early stop's savings.
- ``spend``: spend per model per day, from the stored rows.
"""
