# Stand-in for redis:7 built from Debian bookworm's redis-server (7.0): redis-server and redis-cli
# on PATH, running as the redis user in /data. Debian's build keeps protected mode on, so without
# --bind/--requirepass it answers loopback clients only (the offline override binds 127.0.0.1).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && mkdir -p /data && chown redis:redis /data \
    && redis-server --version && command -v redis-cli
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server"]
