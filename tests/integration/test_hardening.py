"""The processes that hold secrets, as users start them: no core dumps, not dumpable (Linux), no
secret variable left for a child to inherit, and no child process at all while the keychain opens.

What these tests do not claim: Linux keeps a process's *initial* environment in
``/proc/PID/environ`` whatever the process unsets later. A password given in ``$VICIFAST_PASSWORD``
stays readable there by root for the process's life (and by the same user until the process
hardens itself, tens of milliseconds after it starts); docs/security.md says so and recommends
--password-file/--password-fd.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.cli.agent_inputs import PASSWORD_ENV, SIGNIN_PASSWORD_ENV, TOTP_ENV
from softphone.core.secret import Secret
from softphone.demo.environment import DemoPeer
from tests.support.process import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl, /proc and strace"),
]

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "softphone.cli"]

# Calls softphone.cli.main as the console script does (argv None: this process's own command
# line) or as tests do (an argument list), then reports what a process started after it inherits
# and how the process is hardened.
_ENTRY = """
import ctypes, json, resource, subprocess, sys
from softphone.cli.command import main
how, *args = sys.argv[1:]
sys.argv = ["vicifast-phone", *args]
try:
    code = main() if how == "console" else main(args)
except SystemExit as exc:
    code = exc.code
child_env = subprocess.run(["env"], capture_output=True, text=True, check=True).stdout
print(json.dumps({
    "code": code,
    "dumpable": ctypes.CDLL(None).prctl(3, 0, 0, 0, 0),  # PR_GET_DUMPABLE
    "core": resource.getrlimit(resource.RLIMIT_CORE),
    "child_env": child_env,
}))
"""


def canaries() -> dict[str, str]:
    return {name: f"canary-{name.lower()}-{secrets.token_hex(8)}" for name in SECRET_VARIABLES}


SECRET_VARIABLES = (PASSWORD_ENV, SIGNIN_PASSWORD_ENV, TOTP_ENV)


def base_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no keyring configuration, no session bus, a private HOME."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SECRET_VARIABLES and not key.startswith(("PYTHON_KEYRING", "DBUS_", "XDG_"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path / 'no-bus'}",
        VICIFAST_DEPLOYMENT_FILE=str(tmp_path / "no-deployment.ini"),
    )
    return env


def run_entry(how: str, *args: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _ENTRY, how, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def core_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return " ".join(line.split()[4:6])
    raise AssertionError(f"no core limit in /proc/{pid}/limits")


@pytest.mark.parametrize(
    "command",
    [
        ["qr", "make", "--kind", "sip", "--server", "pbx", "--extension", "1"],  # reads $SIP…
        ["qr", "make", "--kind", "signin", "--company", "acme"],  # reads none of them
    ],
    ids=["reads-one", "reads-none"],
)
def test_the_console_entry_hardens_itself_and_leaves_no_secret_variable_to_children(
    tmp_path: Path, command: list[str]
) -> None:
    planted = canaries()
    env = {**base_env(tmp_path), **planted}
    report = run_entry("console", *command, "--out", str(tmp_path / "c.png"), env=env)
    assert report["code"] == 0
    assert report["dumpable"] == 0
    assert report["core"] == [0, 0]
    child_env = str(report["child_env"])
    assert [name for name, value in planted.items() if value in child_env] == []
    assert not any(name in child_env for name in planted)


def test_main_called_with_arguments_leaves_the_process_as_it_was(tmp_path: Path) -> None:
    # tests call main(ARGS) in their own process: it must stay debuggable and dump cores
    report = run_entry("in-process", "--version", env=base_env(tmp_path))
    assert report["code"] == 0
    assert report["dumpable"] == 1
    assert report["core"] == list(resource.getrlimit(resource.RLIMIT_CORE))  # as inherited


@pytest.fixture
def running_agent(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = tmp_path / "agent.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*CLI, "agent", "--json", "--bind", "127.0.0.1", "--server", "127.0.0.1",
             "--extension", "1001", "--no-register", "--duration", "30"],
            env={**base_env(tmp_path), **canaries()}, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
    try:
        wait_until(
            lambda: b'"EngineStarted"' in log.read_bytes(),
            20,
            "the agent's EngineStarted event",
            abort=lambda: None if process.poll() is None else f"exited {process.returncode}",
            details=lambda: log.read_text(errors="replace")[-2000:],
        )
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_a_running_agent_dumps_no_core(running_agent: subprocess.Popen[bytes]) -> None:
    assert core_limit(running_agent.pid) == "0 0"


def test_opening_the_keychain_for_a_sign_in_starts_no_process(tmp_path: Path) -> None:
    """The audit's case: `agent --signin` with $VICIFAST_PASSWORD set. keyring's backend scan
    ran gcc (via ctypes.util.find_library) with the password in its environment."""
    strace = shutil.which("strace")
    assert strace, "strace is missing: scripts/bootstrap.sh test installs it"
    planted = canaries()
    trace = tmp_path / "agent.strace"
    done = subprocess.run(
        [strace, "-f", "-qq", "-v", "-s", "4096", "-e", "trace=execve", "-o", str(trace),
         *CLI, "agent", "--signin", "--company", "acme", "--username", "agent1",
         "--control-plane", "https://127.0.0.1:9"],
        env={**base_env(tmp_path), **planted}, cwd=ROOT, capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    # no Secret Service on the (absent) bus: the keychain is refused, after it was opened
    assert done.returncode == 2, done.stderr
    assert "keychain" in done.stderr
    execs = [line for line in trace.read_text().splitlines() if "execve(" in line]
    assert len(execs) == 1, "\n".join(execs)  # the agent itself, nothing after it
    assert not any(value in done.stdout + done.stderr for value in planted.values())


def test_the_demo_lines_get_their_password_on_stdin_and_harden_themselves() -> None:
    password = f"canary-demo-line-{secrets.token_hex(8)}"
    # a registrar nobody answers: the lines stay up, trying to register, long enough to look
    peer = DemoPeer("127.0.0.1", 0, "127.0.0.1:9", Secret(password))
    try:
        wait_until(lambda: core_limit(peer.pid) == "0 0", 10, "the demo lines' core limit")
        assert password.encode() not in Path(f"/proc/{peer.pid}/environ").read_bytes()
        assert password.encode() not in Path(f"/proc/{peer.pid}/cmdline").read_bytes()
    finally:
        # they are waiting for a REGISTER answer, not reading commands: end them by their group
        os.killpg(peer.pid, signal.SIGKILL)
        peer.stop()
