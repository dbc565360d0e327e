"""A whole shift end to end (issue 16), in a private mount and network namespace.

The shift itself is ``shift_in_namespace.py`` (see its docstring for what it does); it needs a
resolver that never answers and a wildcard-bound engine that listens on loopback only, which
only a namespace of its own gives: this test makes one with ``unshare`` (a network namespace
whose only interface is loopback, and /etc/hosts, /etc/nsswitch.conf and /etc/resolv.conf bound
over with the test's files) and runs that module there with pytest, its output in the report.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
from pathlib import Path

import pytest

from tests.support.process import ManagedProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(480)]

ROOT = Path(__file__).resolve().parents[2]
INNER = Path(__file__).with_name("shift_in_namespace.py")
DEAD_DNS = "127.0.0.53"  # in the namespace: a socket there takes queries and never answers
WRAPPER = """\
ip link set lo up &&
mount --bind "$1" /etc/hosts &&
mount --bind "$2" /etc/nsswitch.conf &&
mount --bind "$3" /etc/resolv.conf &&
shift 3 && exec "$@"
"""


def test_a_whole_shift_in_a_namespace_of_its_own(tmp_path: Path) -> None:
    for tool in ("unshare", "mount", "ip"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run scripts/bootstrap.sh test")
    etc = tmp_path / "etc"
    etc.mkdir()
    hosts, nsswitch, resolv = etc / "hosts", etc / "nsswitch.conf", etc / "resolv.conf"
    hosts.write_text(f"127.0.0.1 localhost {socket.gethostname()}\n")
    nsswitch.write_text("hosts: files dns\n")
    # a lookup gives up after 2 s (one try), as a stub resolver does long after a GUI stall
    resolv.write_text(f"nameserver {DEAD_DNS}\noptions timeout:2 attempts:1\n")
    spec = {"hosts": str(hosts), "dns": DEAD_DNS}
    pytest_argv = [sys.executable, "-m", "pytest", str(INNER), "-q", "--tb=short",
                   "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "inner"),
                   "--timeout", "420"]  # fmt: skip
    inner = ManagedProcess(
        ["unshare", "--mount", "--net", "sh", "-c", WRAPPER, "shift-ns",
         hosts, nsswitch, resolv, *pytest_argv],
        log_path=tmp_path / "shift.log",
        name="whole shift",
        env={"VICIFAST_SHIFT_NAMESPACE": json.dumps(spec), "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=ROOT,
    )  # fmt: skip
    try:
        inner.start()
        status = inner.wait_exit(450)
    finally:
        inner.stop()
    log = inner.log_text()
    assert status == 0, log[-20_000:]
    assert "1 passed" in log, log[-20_000:]
