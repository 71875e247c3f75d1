"""Build the sandbox images offline: debootstrap a Debian rootfs, import it, add the runner.

One image per language (``sandbox/languages.py``), each built only when that language is
first used (or ahead, ``bestofn sandbox build --language L``). No registry is needed. Two
steps, each cached by a content hash:

1. base ``bestofn-sandbox-base[-<lang>]:<hash of the debootstrap recipe>``: ``debootstrap
   --variant=minbase --include=python3,<the language's packages>`` into a temp dir, docs and
   apt caches stripped, ``docker import``-ed (about 40 s for python; only when the recipe changes).
2. final ``bestofn-sandbox[-<lang>]:<hash of runner source + whole recipe>``: the runner and
   the image config (CMD/ENV/WORKDIR/USER) added on top of the base by a tiny
   build from an in-memory context (about a second), so editing the runner
   rebuilds only this layer.

Python's image keeps the names without a suffix. Builds are locked per tag (across
threads and processes), so different languages build at the same time.

The Debian mirror comes from the config's ``debian_mirror`` or this machine's
apt sources; no hostname is written here.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

from docker.errors import ImageNotFound

from sandbox.client import get_client
from sandbox.config import COMMAND, ENVIRONMENT, SandboxConfig
from sandbox.languages import toolchain

RUNNER_PATH = Path(__file__).parent / "image" / "runner.py"
IMAGE_REPO = "bestofn-sandbox"
BASE_REPO = "bestofn-sandbox-base"
SUITE = "bookworm"
RUNNER_PACKAGES = ("python3",)  # every image: the runner is python
STRIP = (
    "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian",
    "var/cache/apt", "var/lib/apt/lists", "var/log", "var/cache/debconf",
)
USER = "65534:65534"
# the runner's modules (stdlib only; harnesses.py imports pytest when the tests are pytest's)
IMAGE_FILES = tuple(sorted(p.name for p in (Path(__file__).parent / "image").glob("*.py")))
PRECOMPILE = (  # bytecode for the image's own python, valid whatever the file times
    "import py_compile\n"
    f"for name in {list(IMAGE_FILES)!r}:\n"
    "    py_compile.compile('/opt/bestofn/' + name, doraise=True, "
    "invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)"
)
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))

_build_locks: dict[str, threading.Lock] = {}  # per tag: one build of a tag per process (flock: per machine)
_locks_guard = threading.Lock()
_known_present: set[tuple[str, str]] = set()  # (engine, tag)


class ImageBuildError(RuntimeError):
    """The offline image build failed; the message says which step and why."""


def _digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


def packages(language: str = "python") -> tuple[str, ...]:
    """The Debian packages debootstrap installs for ``language``'s image."""
    return RUNNER_PACKAGES + toolchain(language).packages


def base_recipe(language: str = "python") -> dict[str, object]:
    """Everything that determines the debootstrap rootfs (not the mirror: same packages)."""
    return {"suite": SUITE, "variant": "minbase", "include": list(packages(language)), "strip": list(STRIP)}


def _repo(repo: str, language: str) -> str:
    return repo if language == "python" else f"{repo}-{language}"


def final_dockerfile(base_tag: str) -> str:
    """The layer that adds the runner and the image config onto the base."""
    env = " ".join(f"{k}={json.dumps(v)}" for k, v in ENVIRONMENT.items())
    return (
        f"FROM {base_tag}\n"
        "ADD overlay.tar /\n"
        f"RUN [\"python3\", \"-c\", {json.dumps(PRECOMPILE)}]\n"
        f"ENV {env}\n"
        "WORKDIR /work\n"
        f"USER {USER}\n"
        f"CMD {json.dumps(COMMAND)}\n"
    )


def base_tag(language: str = "python") -> str:
    return f"{_repo(BASE_REPO, language)}:{_digest(base_recipe(language))}"


def default_tag(language: str = "python") -> str:
    """``bestofn-sandbox[-<lang>]:<hash>``: changes whenever the runner or the recipe changes."""
    overlay = hashlib.sha256(_overlay()).hexdigest()  # the runner source and the files around it
    recipe = [overlay, base_recipe(language), final_dockerfile(base_tag(language))]
    return f"{_repo(IMAGE_REPO, language)}:{_digest(recipe)}"


def image_tag(config: SandboxConfig, language: str = "python") -> str:
    """The image the sandbox runs for ``language``: the config's ``image`` (python only) or the hashed default."""
    if language == "python" and config.image:
        return config.image
    return default_tag(language)


def mirror_from_apt_sources(sources: dict[str, str], suite: str = SUITE) -> str | None:
    """The first Debian mirror URI serving ``suite`` in apt source texts (path -> text).

    Understands deb822 ``*.sources`` stanzas (``Types/URIs/Suites``) and one-line
    ``deb [opts] URI suite comps`` entries.
    """
    for path, text in sources.items():
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {}
                for line in stanza.splitlines():
                    if ":" in line and not line.lstrip().startswith("#"):
                        key, _, value = line.partition(":")
                        fields[key.strip().lower()] = value.strip()
                if "deb" in fields.get("types", "").split() and suite in fields.get("suites", "").split():
                    uris = fields.get("uris", "").split()
                    if uris:
                        return uris[0]
        else:
            for line in text.splitlines():
                line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
                if len(line) >= 3 and line[0] == "deb" and line[2] == suite:
                    return line[1]
    return None


def debian_mirror(config: SandboxConfig) -> str:
    """The mirror to debootstrap from: the config's, else this machine's apt sources."""
    if config.debian_mirror:
        return config.debian_mirror
    texts: dict[str, str] = {}
    main, directory = APT_SOURCES
    if main.is_file():
        texts[str(main)] = main.read_text()
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if path.suffix in (".list", ".sources"):
                texts[str(path)] = path.read_text()
    mirror = mirror_from_apt_sources(texts)
    if not mirror:
        raise ImageBuildError(
            f"no Debian '{SUITE}' mirror in /etc/apt/sources.list*; set BESTOFN_SANDBOX_DEBIAN_MIRROR"
        )
    return mirror


def _image_exists(tag: str, config: SandboxConfig) -> bool:
    try:
        get_client(config=config).images.get(tag)
        return True
    except ImageNotFound:
        return False


def _build_base(tag: str, config: SandboxConfig, language: str) -> None:
    """debootstrap + strip + ``docker import`` (as root; about 40 s for python, minutes for a JDK)."""
    if not shutil.which("debootstrap"):
        raise ImageBuildError("debootstrap not found: apt-get install debootstrap (or pull python:3.11-slim and use sandbox/Dockerfile)")
    with tempfile.TemporaryDirectory(prefix="bestofn-rootfs-") as tmp:
        root = Path(tmp) / "root"
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(packages(language))}", SUITE, str(root),
               debian_mirror(config)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise ImageBuildError(f"debootstrap failed ({done.returncode}): {done.stderr[-2000:] or done.stdout[-2000:]}")
        for rel in STRIP:
            target = root / rel
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir(mode=0o755)
        tar_path = Path(tmp) / "rootfs.tar"
        packed = subprocess.run(
            ["tar", "-C", str(root), "--numeric-owner", "--exclude=./dev/*", "--exclude=./proc/*",
             "--exclude=./sys/*", "-cf", str(tar_path), "."],
            capture_output=True, text=True,
        )
        if packed.returncode != 0:
            raise ImageBuildError(f"tar of the rootfs failed: {packed.stderr[-2000:]}")
        repo, _, version = tag.partition(":")
        get_client(config=config).api.import_image_from_file(
            str(tar_path), repository=repo, tag=version, changes=[f"LABEL bestofn.recipe={version}"]
        )


def _tar(entries: list[tuple[str, bytes | None, int]]) -> bytes:
    """A tar of (name, file bytes or None for a directory, mode), owned by root; mode 0o777 makes
    a symlink to the path given as the bytes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif mode == 0o777:  # a symlink to the path in ``data``
                info.type = tarfile.SYMTYPE
                info.linkname = data.decode()
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _overlay() -> bytes:
    """Files added onto the base. /work exists as 1777 because Docker copies the image
    directory's mode onto a tmpfs mounted over it (the mount's ``mode=`` loses)."""
    return _tar([
        ("work", None, 0o1777),
        ("opt/bestofn", None, 0o755),
        *[(f"opt/bestofn/{name}", (RUNNER_PATH.parent / name).read_bytes(), 0o644) for name in IMAGE_FILES],
        ("usr/local/bin/python", b"/usr/bin/python3", 0o777),  # a symlink: `python` as well as `python3`
    ])


def _build_final(tag: str, base: str, config: SandboxConfig) -> None:
    """Add the runner and image config onto the base from an in-memory build context."""
    context = io.BytesIO(_tar([("Dockerfile", final_dockerfile(base).encode(), 0o644), ("overlay.tar", _overlay(), 0o644)]))
    try:
        get_client(config=config).images.build(
            fileobj=context, custom_context=True, tag=tag, pull=False, rm=True, forcerm=True,
            network_mode="none", labels={"bestofn.sandbox.image": "1"},
        )
    except Exception as exc:  # docker raises BuildError/APIError with the log; keep the context
        raise ImageBuildError(f"building {tag} on {base} failed: {exc}") from exc


def _lock_for(tag: str) -> threading.Lock:
    with _locks_guard:
        return _build_locks.setdefault(tag, threading.Lock())


def build_image(force: bool = False, *, config: SandboxConfig = SandboxConfig(), language: str = "python") -> str:
    """Build ``language``'s sandbox image (base only if missing or ``force``); returns its tag.

    Locked per final tag, within the process and across processes (``flock``): two callers
    wanting one image build it once, while other languages' images build alongside.
    """
    tag = image_tag(config, language)
    base = base_tag(language)
    lock_path = Path(tempfile.gettempdir()) / f"bestofn-sandbox-build-{tag.replace(':', '-').replace('/', '-')}.lock"
    with _lock_for(tag), open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(Path(tempfile.gettempdir()) / f"bestofn-sandbox-build-{base.replace(':', '-')}.lock", "w") as bl:
            fcntl.flock(bl, fcntl.LOCK_EX)  # the base too: an explicit image tag must not race the default's base
            if force or not _image_exists(base, config):
                _build_base(base, config, language)
        if force or not _image_exists(tag, config):
            _build_final(tag, base, config)
    _known_present.add((config.docker_host, tag))
    return tag


def forget_image() -> None:
    """Drop the 'image present' cache (after the engine said it is gone)."""
    _known_present.clear()


def ensure_image(*, config: SandboxConfig = SandboxConfig(), language: str = "python") -> str:
    """``language``'s image tag, building it offline first if it is missing (checked once per process)."""
    tag = image_tag(config, language)
    if (config.docker_host, tag) in _known_present:
        return tag
    if _image_exists(tag, config):
        _known_present.add((config.docker_host, tag))
        return tag
    return build_image(config=config, language=language)
