"""The process/port helpers behave as the other fixtures rely on."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.support.ports import (
    HOST,
    PortKind,
    free_port,
    free_ports,
    port_bound,
    worker_range,
)
from tests.support.process import ManagedProcess, WaitTimeout, group_gone, wait_until

pytestmark = pytest.mark.integration


def _bind_both(port: int) -> None:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind((HOST, port))


def test_free_ports_are_distinct_and_free_for_udp_and_tcp() -> None:
    ports = free_ports(6)
    assert len(set(ports)) == 6
    for port in ports:
        _bind_both(port)


def test_consecutive_free_ports_form_one_block() -> None:
    ports = free_ports(3, consecutive=True)
    assert ports == list(range(ports[0], ports[0] + 3))
    for port in ports:
        _bind_both(port)


def test_parallel_workers_pick_ports_from_ranges_no_other_worker_and_no_kernel_pick_uses() -> None:
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    for count in (2, 3, 4):
        ranges = [worker_range(f"gw{i}", str(count)) for i in range(count)]
        ports = [p for r in ranges for p in r]
        assert len(ports) == len(set(ports)), f"{count} workers share ports"
        assert min(ports) >= 1024 and max(ports) < int(ephemeral[0])
        assert all(len(r) > 5000 for r in ranges)
    assert worker_range(None, None) == range(10000, int(ephemeral[0]))
    mine = worker_range(*map(os.environ.get, ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT")))
    assert all(p in mine for p in [*free_ports(4), free_port("tcp"), free_port("udp")])


@pytest.mark.parametrize(
    ("kind", "sock_type"), [("udp", socket.SOCK_DGRAM), ("tcp", socket.SOCK_STREAM)]
)
def test_port_bound_sees_sockets_without_touching_them(kind: PortKind, sock_type: int) -> None:
    port = free_port(kind)
    assert not port_bound(port, kind)
    with socket.socket(socket.AF_INET, sock_type) as sock:
        sock.bind((HOST, port))
        if sock_type == socket.SOCK_STREAM:
            sock.listen()
        assert port_bound(port, kind)


def test_wait_until_names_what_it_waited_for() -> None:
    with pytest.raises(WaitTimeout, match=r"waiting for the moon: timed out .*\nmore context"):
        wait_until(lambda: False, 0.05, "the moon", details=lambda: "more context")


def test_wait_for_log_fails_fast_with_the_log_when_the_process_dies(tmp_path: Path) -> None:
    proc = ManagedProcess(["sh", "-c", "echo boom; exit 3"], log_path=tmp_path / "sh.log").start()
    with pytest.raises(WaitTimeout, match=r"(?s)exited with status 3.*boom"):
        proc.wait_for_log("never printed", timeout=30)
    assert proc.returncode == 3


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_stop_kills_the_whole_process_group(tmp_path: Path) -> None:
    # the shell forks a grandchild that ignores SIGTERM, like a stubborn worker
    script = "trap '' TERM; (trap '' TERM; sleep 300) & echo child=$!; wait"
    proc = ManagedProcess(["sh", "-c", script], log_path=tmp_path / "sh.log").start()
    child = int(proc.wait_for_log(r"child=(\d+)").group(1))
    assert _alive(child)
    pgid = proc.pid
    assert pgid is not None
    proc.stop(timeout=0.5)
    assert proc.returncode is not None
    wait_until(lambda: not _alive(child), 5, "the grandchild to be killed")
    # the orphaned grandchild's zombie keeps the group until init reaps it
    wait_until(lambda: group_gone(pgid), 5, "the process group to disappear")
