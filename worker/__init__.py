"""Celery app, thin tasks, and the pipeline steps as plain functions."""
