"""The privacy audit, redone on every run: a whole headless shift with canary secrets, then a
search for each canary, however encoded, everywhere it must not be.

The canaries: the agent's VICIdial password, SIP password and TOTP secret (written into the
emulator's seed), and the session token and history key the app itself keeps in the keychain
(read from the private Secret Service while the agent runs). The agent runs as the README tells
people to run it (`--password-file`, a 0600 file outside its home), under
``strace -f -e trace=execve -v``, so every program it starts is seen with its whole command line
and environment. The shift: sign in with TOTP, registered, a call answered, the session's end
(`--calls 1`), then `--signout`.

Searched: every file under the agent's home and XDG directories (the keychain's own encrypted
file included) and its temp directory; its stdout and stderr; the command line and environment
of every execve under strace; the environment of the agent itself (``/proc/PID/environ``) while it
runs. Zero hits, or the test names each place.

The GUI shift also exports the diagnostics after its call (from a caller with a number and a
name): the zip holds that call's quality and neither who called nor a secret; after the sign-out
the next export holds no call at all.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from pytestqt.qtbot import QtBot

from softphone.app import App, AppOptions
from softphone.audio.backend import NullBackend
from softphone.core import events as ev
from softphone.core.models import EngineConfig
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.emulator import totp
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.seed import demo_seed_text
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from softphone.signin.config import SignInConfig
from softphone.signin.service import load_install_ids
from softphone.storage.keychain import KeychainStore
from tests.enginekit.agent_process import AGENT
from tests.integration.test_signin_e2e import Caller
from tests.support.canary import Hit, canary, search_bytes, search_tree
from tests.support.proc_watch import ProcessWatcher, parent_pid
from tests.support.process import ManagedProcess, wait_until
from tests.support.secret_service import SecretService, serving_this_process
from tests.support.signin_form import wait_for_the_form
from tests.support.sipp import Sipp

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*/bus>:ResourceWarning"),
]

WAIT = 20.0
VERDICTS = ("good", "fair", "poor")
WAIT_MS = 20_000
BIND = "127.0.0.2"


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    with serving_this_process(tmp_path / "agent") as service:
        yield service


def _seed(folder: Path, canaries: dict[str, str]) -> Path:
    """The demo world with agent1's secrets replaced by canaries and a TOTP secret added."""
    text = demo_seed_text()
    assert text.count('"demo-pass-1"') == 1 and text.count('"sip-1001-demo"') == 1
    text = text.replace('"demo-pass-1"', f'"{canaries["vicidial-password"]}"')
    text = text.replace(
        '"sip-1001-demo"', f'"{canaries["sip-password"]}"\ntotp_secret = "{canaries["totp"]}"'
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seed.toml"
    path.write_text(text)
    return path


@pytest.fixture
def canaries() -> dict[str, str]:
    return {
        "vicidial-password": canary("vicidial-password"),
        "sip-password": canary("sip-password"),
        # base32, as authenticator secrets are: 160 random bits
        "totp": base64.b32encode(os.urandom(20)).decode(),
    }


def _strace() -> list[str]:
    path = shutil.which("strace")
    if path is None:
        pytest.fail("strace is missing: run scripts/bootstrap.sh test")
    return [path, "-f", "-qq", "-e", "trace=execve", "-v", "-s", "65536"]


def test_a_headless_shift_leaves_no_secret_anywhere(
    tmp_path: Path,
    secret_service: SecretService,
    canaries: dict[str, str],
    sipp: Sipp,
) -> None:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    server_dir = tmp_path / "server"  # the emulator's side: not the agent's machine
    state = EmulatorState.from_seed(_seed(server_dir, canaries))
    emulator = EmulatorServer(
        state, port=0, ca_out=server_dir / "ca.pem", registrar=Registrar(state.sip_users())
    )
    secrets_dir = tmp_path / "secrets"  # the user's password file, outside the app's folders
    secrets_dir.mkdir(mode=0o700)
    password_file = secrets_dir / "vicidial-password"
    password_file.write_text(canaries["vicidial-password"] + "\n")
    password_file.chmod(0o600)
    agent_tmp = secret_service.home / "tmp"
    agent_tmp.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    strace_log = logs / "strace.log"

    with emulator:
        caller = Caller(emulator, sipp)
        env = {
            **secret_service.env,
            "TMPDIR": str(agent_tmp),
            "VICIFAST_TOTP": totp.code_at(canaries["totp"], emulator._clock()),
        }
        common = ["--control-plane", emulator.url, "--ca-file", str(emulator.ca_file)]
        common += ["--bind", BIND]
        signin = ManagedProcess(
            [*_strace(), "-o", str(strace_log), *AGENT, "--json", "--signin", "--company",
             "DEMO", "--username", "agent1", "--password-file", str(password_file),
             "--calls", "1", *common],
            log_path=logs / "agent-signin.log", name="agent (signin)", env=env,
        )  # fmt: skip
        signin.start()
        try:
            wait_until(
                lambda: _registered(signin.log_text()),
                WAIT,
                "the agent registered",
                abort=lambda: None if signin.returncode is None else "the agent exited",
            )
            # What the app keeps in the keychain becomes a canary too.
            ids = load_install_ids(secret_service.data_home / "vicifast-desktop")
            store = KeychainStore.open(ids.install_id, SecretServiceKeyring())
            wait_until(lambda: store.get("session.token") is not None, WAIT, "the saved session")
            canaries |= _kept_in_keychain(store)
            assert signin.pid is not None
            environs = _environs_of_tree(signin.pid)
            caller.call("1001")
            assert signin.wait_exit(WAIT) == 0, signin.log_text()[-2000:]
        finally:
            signin.stop()
        signout = ManagedProcess(
            [*AGENT, "--signout"], log_path=logs / "agent-signout.log", name="agent (signout)",
            env=env,
        )  # fmt: skip
        signout.start()
        assert signout.wait_exit(WAIT) == 0, signout.log_text()

    hits: list[Hit] = []
    file_hits, files = search_tree([secret_service.home, agent_tmp], canaries)
    hits += file_hits
    assert files > 0
    for log in ("agent-signin.log", "agent-signout.log"):
        hits += search_bytes(f"the output of {log}", (logs / log).read_bytes(), canaries)
    execs = [line for line in strace_log.read_bytes().splitlines() if b"execve(" in line]
    assert execs, "strace saw no execve"
    for number, line in enumerate(execs):
        hits += search_bytes(f"execve #{number} {line[:160]!r}", line, canaries)
    for pid, environ in environs.items():
        hits += search_bytes(f"/proc/{pid}/environ while signed in", environ, canaries)
    assert not hits, "secrets leaked:\n" + "\n".join(map(str, hits))


def _kept_in_keychain(store: KeychainStore) -> dict[str, str]:
    """The secrets the app made and keeps in the keychain: canaries too."""
    found = {}
    for key in ("session.token", "history.key"):
        value = store.get(key)
        if value is not None:
            found[key] = value.reveal()
    return found


def _registered(log: str) -> bool:
    for line in log.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "SessionStateChanged" and event.get("state") == "registered":
                return True
    return False


def _environs_of_tree(root: int) -> dict[int, bytes]:
    """The environment of ``root`` and its descendants now (strace, the agent, its children)."""
    found: dict[int, bytes] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        chain: list[int] = []
        current: int | None = pid
        while current is not None and current > 1 and len(chain) < 64:
            chain.append(current)
            current = parent_pid(current)
        if root in chain:
            try:
                found[pid] = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
    return found


CALLER_NUMBER = "5550123987"
CALLER_NAME = "Carla Canary"


class NumberedCaller(Caller):
    """The dialer, calling from a number and a name a person would have."""

    def _scenario(self) -> Path:
        path = super()._scenario()
        text = path.read_text().replace(
            '"sipp" <sip:sipp@', f'"{CALLER_NAME}" <sip:{CALLER_NUMBER}@'
        )
        path.write_text(text)
        return path


def _export_diagnostics(qtbot: QtBot, app: App, dest: Path) -> list[dict[str, object]]:
    """Settings → Export diagnostics (phone numbers not included); the calls in the zip."""
    view = app.settings_view
    assert view is not None
    with qtbot.waitSignal(view.diagnosticsExported, timeout=WAIT_MS):
        view.export_diagnostics(dest)
    with zipfile.ZipFile(dest) as zf:
        calls: list[dict[str, object]] = json.loads(zf.read("call-quality.json"))["calls"]
    return calls


def _zip_hits(path: Path, canaries: dict[str, str]) -> list[Hit]:
    with zipfile.ZipFile(path) as zf:
        return [h for m in zf.namelist() for h in search_bytes(f"{path.name}:{m}", zf.read(m),
                                                               canaries)]  # fmt: skip


def test_a_gui_shift_leaves_no_secret_anywhere(
    qtbot: QtBot,
    tmp_path: Path,
    secret_service: SecretService,
    sipp: Sipp,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    canaries = {"vicidial-password": canary("vicidial-password"), "sip-password": canary("sip")}
    text = demo_seed_text().replace('"demo-pass-1"', f'"{canaries["vicidial-password"]}"')
    text = text.replace('"sip-1001-demo"', f'"{canaries["sip-password"]}"')
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    (server_dir / "seed.toml").write_text(text)
    state = EmulatorState.from_seed(server_dir / "seed.toml")
    home = secret_service.home
    app_tmp = home / "tmp"
    app_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(app_tmp))
    config = home / ".config" / "vicifast-desktop"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(json.dumps({"sip_trace": True}))
    exports = tmp_path / "exports"  # where the person saves the diagnostics zips
    exports.mkdir()
    emulator = EmulatorServer(
        state, port=0, ca_out=server_dir / "ca.pem", registrar=Registrar(state.sip_users())
    )
    with emulator, ProcessWatcher(os.getpid()) as watcher:
        caller = NumberedCaller(emulator, sipp)
        store = KeychainStore.open(str(uuid.uuid4()), SecretServiceKeyring())
        app = App(
            AppOptions(
                data_dir=home / ".local" / "share" / "vicifast-desktop",
                settings_path=config / "settings.json",
                log_dir=home / ".local" / "state" / "vicifast-desktop" / "log",
                store=store,
                device_id="canary-device",
                signin=SignInConfig(
                    control_plane=emulator.url, ca_file=str(emulator.ca_file), bind_address=BIND
                ),
                instance=f"vicifast-canary-{uuid.uuid4().hex[:8]}",
                engine_config=EngineConfig(bind_address=BIND),
                audio_backend=NullBackend,
                tray=False,
                confirm=lambda parent, text: True,
            )
        )
        qtbot.addWidget(app.window)
        calls: list[ev.CallStateChanged] = []
        app.bus.subscribe(ev.CallStateChanged, calls.append)
        states: list[SessionStateChanged] = []
        app.bus.subscribe(SessionStateChanged, states.append)
        try:
            app.start()
            wait_for_the_form(qtbot, app, WAIT_MS)
            view = app.signin_view
            view.company.setText("DEMO")
            view.username.setText("agent1")
            view.password.setText(canaries["vicidial-password"])
            view.sign_in_button.click()
            qtbot.waitUntil(
                lambda: app.window.status.registration.text() == "Registered", timeout=WAIT_MS
            )
            qtbot.waitUntil(lambda: store.get("session.token") is not None, timeout=WAIT_MS)
            canaries |= _kept_in_keychain(store)
            caller.call("1001")
            qtbot.waitUntil(
                lambda: any(c.state is ev.CallState.DISCONNECTED for c in calls), timeout=WAIT_MS
            )
            assert calls[-1].remote_number == CALLER_NUMBER  # the app knew who called
            (call,) = _export_diagnostics(qtbot, app, exports / "after-the-call.zip")
            assert call["direction"] == "inbound" and call["codec"] == "PCMU", call
            assert 1.0 <= float(str(call["mos"])) <= 4.5 and call["verdict"] in VERDICTS, call
            assert {"jitter_ms", "loss_pct", "rtt_ms"} <= call.keys(), call
            ended = len(states)
            app.sign_out()
            qtbot.waitUntil(  # the wipe has run
                lambda: any(
                    e.state is SessionState.SIGNED_OUT and not e.wiping for e in states[ended:]
                ),
                timeout=WAIT_MS,
            )
            assert _export_diagnostics(qtbot, app, exports / "after-sign-out.zip") == []
        finally:
            if app.stopped_cleanly is None:
                with qtbot.waitSignal(app.finished, timeout=WAIT_MS):
                    app.quit()
    out, err = capfd.readouterr()

    hits: list[Hit] = []
    file_hits, files = search_tree([home, app_tmp], canaries)
    hits += file_hits
    assert files > 0
    hits += search_bytes("stdout", out.encode(), canaries)
    hits += search_bytes("stderr", err.encode(), canaries)
    who = {"caller's number": CALLER_NUMBER, "caller's name": CALLER_NAME}
    for exported in sorted(exports.iterdir()):
        hits += _zip_hits(exported, canaries | who)
    for pid, seen in watcher.seen.items():
        for number, (cmdline, environ) in enumerate(zip(seen.cmdlines, seen.environs, strict=True)):
            hits += search_bytes(f"child {pid} exec #{number} {cmdline[:80]!r}", cmdline, canaries)
            hits += search_bytes(f"child {pid} environ", environ, canaries)
    assert not hits, "secrets leaked:\n" + "\n".join(map(str, hits))
