"""Test doubles that are real services (a scripted OpenAI-compatible HTTP server)."""
