# The service image (API and worker). The sandbox image is separate: sandbox/Dockerfile.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bestofn ./bestofn
COPY api ./api
COPY worker ./worker
COPY sandbox ./sandbox
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-cache-dir ".[demo]"
EXPOSE 8000
CMD ["bestofn", "api", "--host", "0.0.0.0"]
