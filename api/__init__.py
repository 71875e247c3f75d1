"""The REST API (FastAPI): thin routes over bestofn.service and the pipeline."""
