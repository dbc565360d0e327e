"""An insecure keyring backend is refused by the programs a person runs, not only by the store:
`vicifast-phone` (the app) and `vicifast-phone agent --signin`, each started as a process with
``PYTHON_KEYRING_BACKEND`` naming keyring's "fail" or "null" backend or a plaintext file backend
(a stand-in with the module name and behaviour of keyrings.alt's, which is not installed here).
Each exits 2 with a message that says why and what to install, and no password lands anywhere:
the plaintext backend's file is never created, the control plane never hears from the agent.
The app also shows the message in a box titled "VICIfast Desktop" (a person who started it from
the menu has no terminal), and exits 2 once the box is closed, or at SIGTERM."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.process import ManagedProcess
from tests.support.xvfb import xvfb_env

pytestmark = pytest.mark.integration

EXIT_S = 30.0
PASSWORD = "agent-secret-not-to-be-kept"
REFUSED = "VICIfast keeps your passwords only in your system's keychain, and it cannot use one here"
INSTALL = "Install a Secret Service keychain"

# keyrings.alt's PlaintextKeyring keeps passwords in a file under the user's data folder; this
# stand-in does the same, in the file the test looks at, and claims to be fine (priority 1).
PLAINTEXT_BACKEND = """\
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    priority = 1

    @property
    def file(self):
        return Path(os.environ["HOME"]) / "keyring_pass.cfg"

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        with self.file.open("a") as out:
            out.write(f"{service} {username} {password}\\n")

    def delete_password(self, service, username):
        pass
"""

BACKENDS = {
    "fail": ("keyring.backends.fail.Keyring", "no keychain was found on this computer"),
    "null": ("keyring.backends.null.Keyring", "keychain use is switched off"),
    "plaintext": (
        "keyrings.alt.file.PlaintextKeyring",
        "keyrings.alt.file.PlaintextKeyring keeps passwords in a file, not in a keychain",
    ),
}

Run = Callable[..., ManagedProcess]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private user: HOME, XDG folders and temp folder, and the stand-in backend's package."""
    folder = tmp_path / "home"
    (folder / "tmp").mkdir(parents=True)
    package = tmp_path / "site" / "keyrings" / "alt"
    package.mkdir(parents=True)
    (package / "file.py").write_text(PLAINTEXT_BACKEND)
    return folder


@pytest.fixture
def run(tmp_path: Path, home: Path) -> Iterator[Run]:
    """run(backend, *args, env=…) -> `vicifast-phone …` started with that keyring backend as a
    private user (``env`` adds to its environment); each stopped by its PID at teardown."""
    started: list[ManagedProcess] = []

    def start(backend: str, *args: str, env: dict[str, str] | None = None) -> ManagedProcess:
        private = {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_RUNTIME_DIR": str(home / "tmp"),
            "TMPDIR": str(home / "tmp"),
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": str(tmp_path / "site"),
            "PYTHON_KEYRING_BACKEND": BACKENDS[backend][0],
            "DBUS_SESSION_BUS_ADDRESS": "disabled:",
        }
        proc = ManagedProcess(
            [sys.executable, "-m", "softphone.cli", *args],
            log_path=tmp_path / f"run{len(started)}.log",
            env={**private, **(env or {})},
            cwd=Path(__file__).resolve().parents[2],
        )
        started.append(proc)
        return proc.start()

    yield start
    for proc in reversed(started):
        proc.stop()


def files_holding(folder: Path, text: str) -> list[Path]:
    return [
        path for path in folder.rglob("*") if path.is_file() and text.encode() in path.read_bytes()
    ]


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_the_app_refuses_an_insecure_keyring_and_says_why(
    run: Run, home: Path, backend: str
) -> None:
    app = run(backend)
    # on stderr at once, then the box waits for the person
    app.wait_for_log(re.escape(REFUSED), EXIT_S)
    assert app.running
    assert app.stop(timeout=EXIT_S) == 2, app.describe()  # SIGTERM closes the box
    log = app.log_text()
    assert REFUSED in log and BACKENDS[backend][1] in log and INSTALL in log, log
    assert "Traceback" not in log
    assert not (home / "keyring_pass.cfg").exists()
    assert list((home / "tmp").iterdir()) == []  # it never became the running instance
    assert not (home / ".local" / "share" / "vicifast-desktop" / "calls.db").exists()


def test_the_apps_refusal_is_shown_in_a_box_on_the_desktop(run: Run) -> None:
    """On a real X server (Xvfb) the refusal is a window titled "VICIfast Desktop"."""
    with xvfb_env() as x:
        display = x["DISPLAY"]
        app = run("fail", env={"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"})

        def box_shown() -> bool:
            tree = subprocess.run(
                ["xwininfo", "-root", "-tree"],
                env={**os.environ, "DISPLAY": display},
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
            return '"VICIfast Desktop"' in tree

        app.wait_for(box_shown, EXIT_S, "the refusal's message box on the X server")
        assert REFUSED in app.log_text()
        assert app.stop(timeout=EXIT_S) == 2, app.describe()


def test_the_agent_refuses_a_plaintext_keyring_before_sending_the_password(
    run: Run, home: Path, tmp_path: Path
) -> None:
    """The refusal comes before any request: a listener in the control plane's place is never
    connected to, and the password is in no file but the one it was read from."""
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    with socket.socket() as control_plane:
        control_plane.bind(("127.0.0.1", free_port("tcp")))
        control_plane.listen()
        control_plane.setblocking(False)
        url = f"https://127.0.0.1:{control_plane.getsockname()[1]}"
        agent = run(
            "plaintext",
            "agent", "--signin", "--company", "DEMO", "--username", "agent1",
            "--control-plane", url, "--bind", "127.0.0.2", "--json",
            "--password-file", str(password_file),
        )  # fmt: skip
        assert agent.wait_exit(EXIT_S) == 2, agent.describe()
        with pytest.raises(BlockingIOError):
            control_plane.accept()  # nobody connected
    log = agent.log_text()
    assert REFUSED in log and BACKENDS["plaintext"][1] in log, log
    assert not (home / "keyring_pass.cfg").exists()
    assert files_holding(home, PASSWORD) == []
    assert PASSWORD not in log
