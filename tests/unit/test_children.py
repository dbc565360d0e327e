"""softphone.desktop.children: children in their own session, started by a thread that
outlives them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from softphone.desktop.children import spawn
from tests.support.process import wait_until

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")


def test_a_child_gets_its_own_session() -> None:
    process = spawn(
        [sys.executable, "-c", "import os; print(os.getsid(0))"], stdout=subprocess.PIPE
    )
    out, _ = process.communicate(timeout=30)
    assert int(out) == process.pid


@linux_only
def test_the_child_is_told_to_die_with_this_process() -> None:
    ask = (
        "import ctypes, signal; s = ctypes.c_int(); "
        "ctypes.CDLL(None).prctl(2, ctypes.byref(s), 0, 0, 0); print(s.value)"
    )  # PR_GET_PDEATHSIG
    process = spawn([sys.executable, "-c", ask], stdout=subprocess.PIPE, text=True)
    out, _ = process.communicate(timeout=30)
    assert int(out) == signal.SIGTERM


@linux_only
def test_a_child_started_by_a_short_lived_thread_outlives_that_thread(tmp_path: Path) -> None:
    # PDEATHSIG fires when the forking *thread* ends: spawn() forks on a long-lived one instead
    started: list[subprocess.Popen[Any]] = []
    tids: list[int] = []

    def start() -> None:
        tids.append(threading.get_native_id())
        started.append(spawn(["sleep", "60"]))

    worker = threading.Thread(target=start)
    worker.start()
    worker.join(30)
    (process,) = started
    try:
        # the OS thread is gone: a PDEATHSIG bound to it has been sent by now
        wait_until(lambda: not Path(f"/proc/self/task/{tids[0]}").exists(), 10, "thread exit")
        state = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        assert state != "Z"
        assert process.poll() is None
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
