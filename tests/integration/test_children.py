"""No child outlives the app (issue 16): SIGTERM ends the GUI's demo mode and ``vicifast-phone
demo`` as cleanly as Quit (status 0, kamailio and the demo lines stopped), and after a SIGKILL
the kernel ends them (``PR_SET_PDEATHSIG``, softphone/desktop/children.py).

The app runs in a child process; its children are found in /proc (their parent is the app;
kamailio's workers share kamailio's process group). A killed child's zombie waits for init, which
can take a second on a loaded machine, so "gone" means absent or a zombie, polled with a bound.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from softphone.emulator.registrar import kamailio_path
from tests.support.proc_watch import alive_in, children_of
from tests.support.process import wait_until

pytestmark = pytest.mark.integration

_START_S = 60.0
_EXIT_S = 30.0
_GONE_S = 15.0


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (tmp_path / "tmp").mkdir()
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "TMPDIR": str(tmp_path / "tmp"),  # the single-instance socket and the demo's folder
        "QT_QPA_PLATFORM": "offscreen",
    }


@pytest.fixture
def kamailio() -> None:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")


class _App:
    """The app in a child process; its JSON lines (``demo --json``) go to a queue-like list."""

    def __init__(self, argv: list[str], tmp_path: Path) -> None:
        self.log = (tmp_path / "app.log").open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "softphone.cli", *argv],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=_env(tmp_path), start_new_session=True,
        )  # fmt: skip
        self.steps: dict[str, dict[str, Any]] = {}
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self._reader.start()

    def _read(self, out: IO[str] | None) -> None:
        assert out is not None
        for line in out:
            if line.startswith("{"):
                step = json.loads(line)
                with self._changed:
                    self.steps[step["step"]] = step
                    self._changed.notify_all()

    def wait_step(self, step: str) -> dict[str, Any]:
        with self._changed:
            reached = self._changed.wait_for(
                lambda: step in self.steps or "failed" in self.steps, _START_S
            )
        assert reached, f"no {step!r} step in {_START_S}s: {self.details()}"
        assert "failed" not in self.steps, self.steps["failed"]
        return self.steps[step]

    def wait_children(self) -> tuple[int, int]:
        """kamailio's and the demo lines' PIDs, once both run."""
        found: dict[str, int] = {}

        def both() -> bool:
            for pid, cmd in children_of(self.process.pid).items():
                if "kamailio" in cmd.split(" ", 1)[0]:
                    found["kamailio"] = pid
                elif "softphone.demo.lines" in cmd:
                    found["lines"] = pid
            return len(found) == 2 or self.process.poll() is not None

        wait_until(both, _START_S, "kamailio and the demo lines", details=self.details)
        assert len(found) == 2, self.details()
        return found["kamailio"], found["lines"]

    def details(self) -> str:
        self.log.seek(0)
        return f"rc={self.process.poll()} steps={list(self.steps)}\n{self.log.read()[-3000:]}"

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(_EXIT_S)
        self._reader.join(_EXIT_S)  # EOF: every writer of the pipe is gone
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.log.close()


@pytest.fixture
def app_process(tmp_path: Path, kamailio: None) -> Iterator[Any]:
    started: list[_App] = []

    def start(*argv: str) -> _App:
        started.append(_App(list(argv), tmp_path))
        return started[-1]

    yield start
    for app in started:
        app.close()


def _assert_all_gone(groups: set[int], app: _App) -> None:
    wait_until(
        lambda: not alive_in(groups), _GONE_S, f"the app's children {sorted(groups)} to end",
        details=lambda: f"left: {alive_in(groups)}\n{app.details()}",
    )  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_the_gui_demo_leaves_no_child(app_process: Any, sig: signal.Signals) -> None:
    # Right after both children appear: demo mode may still be starting (the reported race).
    app = app_process("--demo")
    groups = set(app.wait_children())
    app.process.send_signal(sig)
    status = app.process.wait(_EXIT_S)
    assert status == (0 if sig == signal.SIGTERM else -signal.SIGKILL), app.details()
    _assert_all_gone(groups, app)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_the_demo_command_leaves_no_child(app_process: Any, sig: signal.Signals) -> None:
    app = app_process("demo", "--json", "--keep-running")
    groups = set(app.wait_step("environment")["pids"])
    assert len(groups) == 2  # the lines and kamailio
    app.wait_step("keep_running")
    app.process.send_signal(sig)
    status = app.process.wait(_EXIT_S)
    assert status == (0 if sig == signal.SIGTERM else -signal.SIGKILL), app.details()
    _assert_all_gone(groups, app)


def test_sigterm_while_the_demo_starts_stops_what_it_started(app_process: Any) -> None:
    app = app_process("demo", "--json", "--keep-running")
    groups = set(app.wait_children())
    app.process.send_signal(signal.SIGTERM)
    assert app.process.wait(_EXIT_S) == 0, app.details()
    _assert_all_gone(groups, app)
