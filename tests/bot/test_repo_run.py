"""Running a repository's test command in the hardened sandbox (real Docker), and grading its records."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from pydantic import SecretStr

from bestofn.bot.execute import run_tests
from bestofn.bot.workspace import repo_files
from bestofn.settings import Settings
from sandbox.container import ContainerRun
from sandbox.repo_run import record_from_run
from tests.bot.conftest import bot_containers, make_repo

SECRET = "ghp_SECRET_never_in_containers"


def _settings(**update: object) -> Settings:
    return Settings().model_copy(update={"github_token": SecretStr(SECRET), **update})


def _run(root: Path, command: str, wheelhouse: Path | None = None, **update: object):
    return run_tests(root, repo_files(root), command, wheelhouse=wheelhouse,
                     labels={"task": "bot-test", "candidate": "0"}, settings=_settings(**update))


def test_record_grading_is_pure() -> None:
    assert record_from_run(ContainerRun(engine_error="APIError: gone")).error.startswith("sandbox: Docker engine error")
    assert "out of memory" in record_from_run(ContainerRun(oom_killed=True, exit_code=137)).error
    assert "could not unpack" in record_from_run(ContainerRun(fatal="could not unpack the repository")).error
    ok = record_from_run(ContainerRun(records=[{"exit": 0, "runtime_ns": 2_000_000}], done=True))
    assert (ok.error, ok.exit_code, ok.runtime_ms, ok.junit_xml) == (None, 0, 2.0, "")


def test_runs_in_a_locked_down_container_with_per_test_results(tmp_path: Path) -> None:
    probe = (
        "import os, socket\n"
        "def test_not_root():\n    assert os.getuid() != 0\n"
        "def test_rootfs_read_only():\n"
        "    try:\n        open('/etc/x', 'w')\n    except OSError:\n        return\n    raise AssertionError('wrote /etc')\n"
        "def test_no_network():\n"
        "    assert [n for _, n in socket.if_nameindex()] == ['lo']\n"
        f"def test_no_secret_in_env():\n    assert not any({SECRET!r} in v for v in os.environ.values())\n"
        "def test_fails():\n    assert 1 == 2\n"
    )
    root = make_repo(tmp_path / "r", {"tests/test_probe.py": probe})
    run = _run(root, "pytest -q")
    assert run.error is None, run.error
    assert run.tests == {
        "tests.test_probe::test_not_root": "passed", "tests.test_probe::test_rootfs_read_only": "passed",
        "tests.test_probe::test_no_network": "passed", "tests.test_probe::test_no_secret_in_env": "passed",
        "tests.test_probe::test_fails": "failed",
    }
    assert run.exit_code == 1 and "assert 1 == 2" in run.output
    assert bot_containers() == []


def test_the_command_cannot_reach_the_scripts_records(tmp_path: Path) -> None:
    """The trailer's marker is in no command line or environment the command can read, and no
    pipe or socket (the script's stdout) is open to it (tests/bot/cheats.py forges records that way).
    A process the command leaves behind is killed before the trailer reads (else: a fatal record)."""
    probe = (
        "import os, subprocess\n"
        "def test_marker_unknown():\n"
        "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "        for name in ('cmdline', 'environ'):\n"
        "            try:\n                data = open(f'/proc/{pid}/{name}', 'rb').read()\n"
        "            except OSError:\n                continue\n"
        "            assert b'@@bestofn-' not in data, (pid, name)\n"
        "def test_no_pipe_or_socket_to_write():\n"
        "    opened = []\n"
        "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n            fds = os.listdir(f'/proc/{pid}/fd')\n"
        "        except OSError:\n            continue\n"
        "        for fd in fds:\n"
        "            try:\n"
        "                if os.readlink(f'/proc/{pid}/fd/{fd}').startswith(('pipe:', 'socket:')):\n"
        "                    open(f'/proc/{pid}/fd/{fd}', 'w').close()\n"
        "                    opened.append((pid, fd))\n"
        "            except OSError:\n                pass\n"
        "    assert opened == []\n"
        "def test_leave_a_process_behind():\n"
        "    subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
    )
    root = make_repo(tmp_path / "r", {"tests/test_reach.py": probe})
    run = _run(root, "pytest -q")
    assert run.error is None, run.error
    assert run.tests == {"tests.test_reach::test_marker_unknown": "passed",
                         "tests.test_reach::test_no_pipe_or_socket_to_write": "passed",
                         "tests.test_reach::test_leave_a_process_behind": "passed"}, run.output
    assert bot_containers() == []


def test_a_command_without_a_report_counts_as_one_test(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"check.py": "import sys\nprint('checking')\nsys.exit(3)\n"})
    run = _run(root, "python3 check.py")
    assert run.tests == {"python3 check.py": "failed"} and not run.per_test
    assert run.exit_code == 3 and "checking" in run.output


def test_a_hanging_test_times_out_and_the_container_goes(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"tests/test_hang.py": "import time\n\ndef test_hang():\n    time.sleep(60)\n"})
    run = _run(root, "pytest -q", bot_test_timeout_s=2.0)
    assert run.timed_out and run.exit_code == 124
    assert run.tests == {"pytest -q": "failed"}
    assert bot_containers() == []


def _wheel(path: Path) -> None:
    """A minimal pure-Python wheel holding module ``extdep``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("extdep/__init__.py", "VALUE = 42\n")
        zf.writestr("extdep-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: extdep\nVersion: 1.0\n")
        zf.writestr("extdep-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr("extdep-1.0.dist-info/RECORD", "")
    path.write_bytes(buf.getvalue())


def test_requirements_come_from_the_wheelhouse_offline(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"tests/test_dep.py": "import extdep\n\ndef test_dep():\n    assert extdep.VALUE == 42\n"})
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels / "extdep-1.0-py3-none-any.whl")
    without = _run(root, "pytest -q")
    assert without.failing and "extdep" in without.output  # collection error: no such module
    run = _run(root, "pytest -q", wheelhouse=wheels)
    assert run.tests == {"tests.test_dep::test_dep": "passed"}, run.output
