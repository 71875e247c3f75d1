# Stand-in for python:3.11-slim, built from Debian bookworm packages (its python3 is 3.11).
# Like the official image: `python`, `python3` and `pip` on PATH, pip installing into /usr/local
# (Debian's pip puts root installs in /usr/local/lib/python3.11/dist-packages and /usr/local/bin,
# which stay on PATH and sys.path even where a Dockerfile resets PATH, e.g. sandbox/Dockerfile).
# local-ca/: the CA certificates this machine added to its trust store (/usr/local/share/ca-certificates,
# e.g. a TLS-inspecting egress proxy's), staged by build_images.sh, so pip reaches PyPI as the host does.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY local-ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       python3 python3-pip python3-venv python-is-python3 ca-certificates \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && python --version && pip --version
ENV LANG=C.UTF-8 PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
CMD ["python3"]
