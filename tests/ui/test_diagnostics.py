"""The SIP trace file (``TraceLog``): the owner's only however it is opened or rotated, deleted
with the session (``erase``), and a trace that cannot be deleted is named with its path."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.core.errors import NotDeleted
from softphone.ui.diagnostics import TRACE_FILE, TRACE_LOGGER, TraceLog

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


@pytest.fixture(autouse=True)
def _desktop_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def trace(tmp_path: Path) -> Iterator[TraceLog]:
    log = TraceLog(tmp_path / "state" / "vicifast-desktop" / "log")
    yield log
    log.detach()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def line(text: str) -> None:
    logging.getLogger(TRACE_LOGGER).debug(text)


def test_the_trace_is_0600_in_0700_folders_also_after_a_rotation(trace: TraceLog) -> None:
    trace.attach()
    line("INVITE sip:5550102030@pbx SIP/2.0")
    assert mode(trace.path) == 0o600
    assert mode(trace.log_dir) == mode(trace.log_dir.parent) == 0o700
    handler = trace._handler
    assert handler is not None
    handler.maxBytes = 64  # the next lines rotate it
    for _ in range(3):
        line("x" * 80)
    rotated = trace.log_dir / f"{TRACE_FILE}.1"
    assert rotated.exists()
    assert (mode(trace.path), mode(rotated)) == (0o600, 0o600)


def test_an_older_wider_trace_and_its_folders_are_tightened(trace: TraceLog) -> None:
    trace.log_dir.mkdir(parents=True)
    trace.path.write_text("old trace\n")
    for path, wide in ((trace.path, 0o644), (trace.log_dir, 0o755), (trace.log_dir.parent, 0o755)):
        path.chmod(wide)
    TraceLog(trace.log_dir)  # the app's start, the trace off: enough
    assert (mode(trace.path), mode(trace.log_dir), mode(trace.log_dir.parent)) == (
        0o600,
        0o700,
        0o700,
    )


def test_erase_deletes_the_trace_and_a_trace_on_goes_on_in_a_new_file(trace: TraceLog) -> None:
    trace.attach()
    line("REGISTER sip:1001@pbx SIP/2.0")
    (trace.log_dir / f"{TRACE_FILE}.1").write_text("rotated\n")
    trace.erase()
    assert list(trace.log_dir.iterdir()) == []
    line("OPTIONS sip:pbx SIP/2.0")
    assert "OPTIONS" in trace.path.read_text() and "REGISTER" not in trace.path.read_text()
    assert mode(trace.path) == 0o600


def test_erase_while_the_trace_is_off_deletes_what_an_earlier_run_left(trace: TraceLog) -> None:
    trace.log_dir.mkdir(parents=True)
    trace.path.write_text("earlier\n")
    trace.erase()
    assert not trace.path.exists()
    trace.erase()  # nothing there: nothing to say


def test_a_trace_that_cannot_be_deleted_is_named(trace: TraceLog) -> None:
    trace.attach()
    line("INVITE sip:5550102030@pbx SIP/2.0")
    stuck = trace.log_dir / f"{TRACE_FILE}.1"
    (stuck / "inside").mkdir(parents=True)  # unlink() refuses a folder, even to root
    with pytest.raises(NotDeleted) as err:
        trace.erase()
    assert str(err.value) == f"the SIP trace at {stuck} could not be deleted: Is a directory"
    assert not trace.path.exists()  # the rest went all the same
