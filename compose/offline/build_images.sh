#!/usr/bin/env bash
# Build local stand-ins for the images docker-compose.yml pulls, with no container registry:
#   base      debootstrap of Debian bookworm (minbase), `docker import`-ed
#   python    python3 (3.11) + pip on the base       -> BESTOFN_PYTHON_IMAGE   (for python:3.11-slim)
#   postgres  postgresql-15 + an initdb entrypoint    -> BESTOFN_POSTGRES_IMAGE (for postgres:16)
#   redis     redis-server + redis-cli                -> BESTOFN_REDIS_IMAGE    (for redis:7)
# Each image is tagged by a hash of its recipe and skipped when that tag exists, so a second run
# builds nothing. Packages come from this machine's Debian mirror (its apt sources, or
# BESTOFN_SANDBOX_DEBIAN_MIRROR, as sandbox/build.py does); the builds use the host network.
#
# Prints the three KEY=image lines on stdout (progress goes to stderr). Needs root (debootstrap).
# Usage: compose/offline/build_images.sh [--force]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=bookworm
VARIANT=minbase
INCLUDE=ca-certificates
STRIP="usr/share/doc usr/share/man usr/share/info usr/share/lintian var/cache/apt var/lib/apt/lists var/log var/cache/debconf"
NICE=${BESTOFN_OFFLINE_NICE:-10}
FORCE=false
[ "${1:-}" = "--force" ] && FORCE=true

log() { printf '[offline-images] %s\n' "$*" >&2; }
digest() { sha256sum | cut -c1-12; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The first Debian mirror URI serving $SUITE in this machine's apt sources (deb822 *.sources stanzas
# or one-line *.list entries), in the order sandbox/build.py reads them; no hostname is written here.
debian_mirror() {
  if [ -n "${BESTOFN_SANDBOX_DEBIAN_MIRROR:-}" ]; then echo "$BESTOFN_SANDBOX_DEBIAN_MIRROR"; return; fi
  local files=() f uri
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  if [ -d /etc/apt/sources.list.d ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find /etc/apt/sources.list.d -maxdepth 1 -type f \
      \( -name '*.list' -o -name '*.sources' \) | LC_ALL=C sort)
  fi
  for f in "${files[@]}"; do
    case "$f" in
      *.sources)
        uri=$(awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
          { types = ""; uris = ""; suites = ""
            for (i = 1; i <= NF; i++) {
              line = $i
              if (line ~ /^[ \t]*#/) continue
              p = index(line, ":"); if (!p) continue
              k = tolower(substr(line, 1, p - 1)); gsub(/[ \t]/, "", k)
              v = substr(line, p + 1); gsub(/[ \t]+/, " ", v)
              if (k == "types") types = v; else if (k == "uris") uris = v; else if (k == "suites") suites = v
            }
            if ((" " types " ") ~ / deb / && index(" " suites " ", " " suite " ")) {
              split(uris, u, " "); if (u[1] != "") { print u[1]; exit }
            }
          }' "$f") ;;
      *)
        uri=$(awk -v suite="$SUITE" '{ sub(/#.*/, ""); gsub(/\[[^]]*\]/, " ")
          if ($1 == "deb" && $3 == suite) { print $2; exit } }' "$f") ;;
    esac
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  log "no Debian '$SUITE' mirror in /etc/apt/sources.list*; set BESTOFN_SANDBOX_DEBIAN_MIRROR"
  return 1
}

build_base() (  # $1 tag: debootstrap -> strip -> docker import (a subshell: its trap cleans up)
  tag=$1
  command -v debootstrap >/dev/null || { log "debootstrap missing: apt-get install -y debootstrap"; exit 1; }
  mirror=$(debian_mirror)
  tmp=$(mktemp -d /var/tmp/bestofn-offline-rootfs.XXXXXX)
  trap 'rm -rf "$tmp" "$tmp.log"' EXIT
  log "debootstrap $SUITE ($VARIANT, +$INCLUDE) from the apt sources' mirror into $tmp"
  if ! nice -n "$NICE" debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$tmp/root" "$mirror" \
      >"$tmp.log" 2>&1; then
    tail -20 "$tmp.log" >&2; exit 1
  fi
  for rel in $STRIP; do
    if [ -d "$tmp/root/$rel" ]; then rm -rf "${tmp:?}/root/$rel"; mkdir -m 755 "$tmp/root/$rel"; fi
  done
  log "docker import -> $tag"
  tar -C "$tmp/root" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . \
    | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "LABEL bestofn.offline=1 bestofn.offline.recipe=${tag#*:}" \
        --change 'CMD ["bash"]' \
        - "$tag" >/dev/null
)

# The build context: this folder's files plus local-ca/, the CA certificates this machine added to its
# trust store (package traffic may pass a TLS-inspecting proxy that only those make trusted).
stage_context() {  # $1 empty dir
  cp "$HERE"/*.Dockerfile "$HERE"/*.sh "$1/"
  mkdir -p "$1/local-ca"
  if [ -d /usr/local/share/ca-certificates ]; then cp -r /usr/local/share/ca-certificates/. "$1/local-ca/"; fi
}

build_standin() {  # $1 name, $2 tag, $3 base tag, $4 staged context
  local name=$1 tag=$2 base=$3 ctx=$4
  log "docker build $name on $base -> $tag"
  if ! DOCKER_BUILDKIT=0 nice -n "$NICE" docker build --network host --pull=false \
      --build-arg "BASE_IMAGE=$base" --label bestofn.offline=1 \
      -f "$ctx/$name.Dockerfile" -t "$tag" "$ctx" >"/tmp/bestofn-offline-$name.build.log" 2>&1; then
    tail -30 "/tmp/bestofn-offline-$name.build.log" >&2
    return 1
  fi
}

main() {
  exec 9>/tmp/bestofn-offline-build.lock
  flock 9  # one build at a time on this machine

  local base standin tag key t0
  CTX_DIR=$(mktemp -d /tmp/bestofn-offline-context.XXXXXX)
  trap 'rm -rf "$CTX_DIR"' EXIT
  local ctx=$CTX_DIR
  stage_context "$ctx"
  base="bestofn-offline-base:$(printf '%s\n' "$SUITE" "$VARIANT" "$INCLUDE" "$STRIP" | digest)"
  if $FORCE || ! exists "$base"; then
    t0=$SECONDS; build_base "$base"; log "base built in $((SECONDS - t0))s"
  else
    log "cached: $base"
  fi
  for standin in python:BESTOFN_PYTHON_IMAGE postgres:BESTOFN_POSTGRES_IMAGE redis:BESTOFN_REDIS_IMAGE; do
    key=${standin#*:}; standin=${standin%%:*}
    # the recipe: base tag, the Dockerfile and whatever it copies from the context
    tag="bestofn-offline-$standin:$( { echo "$base"; cat "$ctx/$standin.Dockerfile"
      case "$standin" in
        postgres) cat "$ctx/postgres-entrypoint.sh" ;;
        python) (cd "$ctx/local-ca" && find . -type f | LC_ALL=C sort | xargs -r sha256sum) ;;
      esac; } | digest)"
    if $FORCE || ! exists "$tag"; then
      t0=$SECONDS; build_standin "$standin" "$tag" "$base" "$ctx"; log "$standin built in $((SECONDS - t0))s"
    else
      log "cached: $tag"
    fi
    echo "$key=$tag"
  done
}

main "$@"
