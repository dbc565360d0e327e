"""A whole shift, driven through the widgets as an agent would, against real components: the
emulator over TLS with kamailio as its registrar and the demo lines, gnome-keyring on a private
D-Bus, PulseAudio with a virtual speaker, microphone and a separate "bell" ringer device, the
real SIP engine and the PortAudio backend.

This module is not collected with the suite: ``test_whole_shift.py`` runs it in a private mount
and network namespace of its own (only a loopback interface, so the wildcard bind the network
watch needs listens on nothing but loopback), where /etc/hosts, /etc/nsswitch.conf and
/etc/resolv.conf are the test's: ``localhost`` and this machine's name are in the hosts file and
the only name server is a loopback address where a socket takes every query and never answers.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QComboBox, QMenu
from pytestqt.qtbot import QtBot

from softphone.app import App, AppOptions
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, EngineConfig
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.demo.environment import DemoEnvironment, start_demo_environment
from softphone.emulator.registrar import kamailio_path
from softphone.signin.config import SignInConfig
from softphone.storage.history import Outcome, db_files
from softphone.storage.keychain import KeychainStore
from tests.audio.pulse import SPEAKER, PulseServer
from tests.audio.pulse import available as pulse_available
from tests.audio.tones import pcm, recording, rms
from tests.support.process import wait_until
from tests.support.secret_service import SecretService, serving_this_process
from tests.support.signin_form import wait_for_the_form
from tests.support.stall_probe import StallProbe, stall_probe

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(420),
    # keyring's SecretService backend leaves a failed call's D-Bus connection to the GC
    pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*/bus>:ResourceWarning"),
]

NAMESPACE = "VICIFAST_SHIFT_NAMESPACE"  # set by test_whole_shift.py: what it mounted
WAIT = 20_000
# far below the seconds a dead resolver or a locked keychain holds a call, far above what a
# loaded machine's scheduling adds (bench/gui.py measures the GUI thread's gaps themselves)
STALL_S = 0.5
BELL = "bell"  # the ringer's sink, and the ALSA device "vicifast_bell" that plays into it
BELL_DEVICE = "vicifast_bell"
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@dataclass(frozen=True)
class Namespace:
    """What the outer test set up: the hosts file bound over /etc/hosts (rewritable in place)
    and the silent name server's address."""

    hosts: Path
    dns: str

    @classmethod
    def from_env(cls) -> Namespace:
        raw = os.environ.get(NAMESPACE)
        if raw is None:
            pytest.fail("run through tests/ui/test_whole_shift.py (a namespace of its own)")
        spec = json.loads(raw)
        hosts = Path(spec["hosts"])
        if os.stat("/etc/hosts").st_ino != hosts.stat().st_ino:
            pytest.fail("/etc/hosts is not the test's: not inside the test's mount namespace")
        return cls(hosts, spec["dns"])

    def write_hosts(self, *names: str) -> None:
        """/etc/hosts with ``names`` on 127.0.0.1, rewritten in place (the bind mount holds
        this inode): the resolver reads it at every lookup."""
        with self.hosts.open("r+") as file:
            file.truncate(0)
            file.write("".join(f"127.0.0.1 {name}\n" for name in names))


class SilentNameServer:
    """A UDP socket on the name server's address that takes every query and never answers:
    a dead resolver. ``queries`` counts what reached it."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 53))
        self.sock.settimeout(0.2)
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._swallow, name="silent-dns", daemon=True)
        self._thread.start()

    def _swallow(self) -> None:
        while not self._stop.is_set():
            try:
                self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.queries += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@dataclass
class Shift:
    """The world of the shift and what the test builds on it."""

    qtbot: QtBot
    tmp: Path
    env: DemoEnvironment
    keychain: SecretService
    pulse: PulseServer
    names: Namespace
    dns: SilentNameServer
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    apps: list[App] = field(default_factory=list)

    @property
    def control_plane(self) -> str:
        # by name: the network watch and the sign-in client look it up at every check
        return f"https://localhost:{self.env.server.port}"

    def store(self) -> KeychainStore:
        return KeychainStore.open(self.service_id, SecretServiceKeyring())

    def start_app(self) -> App:
        """The app as it starts on an agent's machine (the wildcard bind, the default sound
        system), on the shift's folders and keychain; started."""
        options = AppOptions(
            data_dir=self.tmp / "data",
            settings_path=self.tmp / "config" / "settings.json",
            store=self.store(),
            device_id="shift-device",
            signin=SignInConfig(
                control_plane=self.control_plane, ca_file=str(self.env.ca_file), bind_address=""
            ),
            instance=f"vicifast-shift-{uuid.uuid4().hex[:8]}",
            engine_config=EngineConfig(bind_address=""),
            audio_backend=SoundDeviceBackend,
            tray=True,
            confirm=lambda parent, text: True,
            log_dir=self.tmp / "logs",
            demo_env=self.env,  # the Go menu's and the tray's "Ring me like VICIdial"
        )
        app = App(options)
        self.qtbot.addWidget(app.window)
        self.apps.append(app)
        app.start()
        return app

    def quit(self, app: App) -> None:
        """Quit as from the menu: the window goes at once, the rest finishes in the background
        (a new start in this process needs the SIP library back)."""
        with self.qtbot.waitSignal(app.finished, timeout=WAIT):
            _menu_action(app, "Quit").trigger()
            assert not app.window.isVisible()
        assert app.stopped_cleanly and not app.engine.current.running

    def admin(self, path: str, body: dict[str, Any]) -> Any:
        """The emulator's admin API over its TLS, with its token, as a supervisor's tool."""
        server = self.env.server
        context = ssl.create_default_context(cafile=str(self.env.ca_file))
        response = httpx.post(
            f"{server.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {server.admin_token}"},
            verify=context,
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def agent(self) -> dict[str, str]:
        creds = self.env.credentials
        return {"company_code": creds.company, "username": creds.username}


@pytest.fixture
def shift(qtbot: QtBot, tmp_path: Path) -> Iterator[Shift]:
    names = Namespace.from_env()
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    if not pulse_available():
        pytest.fail("PulseAudio is not installed: run scripts/test, which installs it")
    dns = SilentNameServer(names.dns)
    try:
        with (
            serving_this_process(tmp_path / "keyring") as keychain,
            pytest.MonkeyPatch.context() as mp,
        ):
            pulse = PulseServer(tmp_path / "pulse")
            try:
                pulse.start()
                for key, value in pulse.client_env.items():
                    mp.setenv(key, value)
                pulse.load_sink(BELL)
                # as a user's ~/.asoundrc names a card; read when PortAudio starts
                Path(os.environ["HOME"], ".asoundrc").write_text(
                    f'pcm.{BELL_DEVICE} {{\n type pulse\n device "{BELL}"\n'
                    ' hint { show on\n description "Bell" }\n}\n'
                )
                env = start_demo_environment(tmp_path / "demo")
                world = Shift(qtbot, tmp_path, env, keychain, pulse, names, dns)
                try:
                    yield world
                finally:
                    for app in world.apps:
                        if app.stopped_cleanly is None:
                            with qtbot.waitSignal(app.finished, timeout=WAIT):
                                app.quit()
                    env.close()
            finally:
                pulse.stop()
    finally:
        dns.close()


# ---- what an agent does ----------------------------------------------------------------------


def _sign_in(qtbot: QtBot, app: App, shift: Shift) -> None:
    view, status = app.signin_view, app.window.status
    wait_for_the_form(qtbot, app, WAIT)
    _fill_in(app, shift)
    view.sign_in_button.click()
    qtbot.waitUntil(lambda: status.registration.text() == "Registered", timeout=WAIT)


def _fill_in(app: App, shift: Shift) -> None:
    view, creds = app.signin_view, shift.env.credentials
    view.company.setText(creds.company)
    view.username.setText(creds.username)
    view.password.setText(creds.password.reveal())


def _menu_action(app: App, text: str) -> QAction:
    """The window's menu entry ``text`` (any menu)."""
    for menu in app.window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if action.text() == text:
                return action
    raise AssertionError(f"no menu action {text!r}")


class Calls:
    """The engine's call events, as the app's bus publishes them."""

    def __init__(self, app: App) -> None:
        self.states: list[ev.CallStateChanged] = []
        app.bus.subscribe(ev.CallStateChanged, self.states.append)

    def count(self, state: ev.CallState) -> int:
        return sum(1 for s in self.states if s.state is state)

    def last(self, state: ev.CallState) -> ev.CallStateChanged:
        return [s for s in self.states if s.state is state][-1]


def _vicidial_call(qtbot: QtBot, app: App, calls: Calls, ring: Any) -> None:
    """``ring()`` has the tone line call the agent with ``answer-after=0``; it is answered by
    itself; hung up with Ctrl+Shift+E."""
    confirmed = calls.count(ev.CallState.CONFIRMED)
    ended = calls.count(ev.CallState.DISCONNECTED)
    ring()
    qtbot.waitUntil(lambda: calls.count(ev.CallState.CONFIRMED) > confirmed, timeout=WAIT)
    answered = calls.last(ev.CallState.CONFIRMED)
    assert answered.direction is ev.Direction.INBOUND
    assert answered.answered_by is ev.AnswerReason.HEADER
    assert not app.incoming_windows  # answered at once: nothing to click
    _hang_up(qtbot, app, calls, ended)


def _hang_up(qtbot: QtBot, app: App, calls: Calls, ended: int) -> None:
    assert app.phone_view is not None
    page = app.phone_view.call_page
    qtbot.waitUntil(page.hangup_button.isEnabled, timeout=WAIT)
    _focus(qtbot, app)
    qtbot.keyClick(app.window, Qt.Key.Key_E, CTRL_SHIFT)  # Call → Hang up, from any tab
    qtbot.waitUntil(lambda: calls.count(ev.CallState.DISCONNECTED) > ended, timeout=WAIT)


def _focus(qtbot: QtBot, app: App) -> None:
    """The agent clicks into the phone's window (its keys work there)."""
    app.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window, timeout=WAIT)


def _outgoing_call(qtbot: QtBot, app: App, calls: Calls, number: str) -> None:
    """Dialled on the Phone tab, connected, hung up."""
    phone = app.phone_view
    assert phone is not None
    app.window.show_page("Phone")
    confirmed = calls.count(ev.CallState.CONFIRMED)
    ended = calls.count(ev.CallState.DISCONNECTED)
    phone.number_field.clear()
    qtbot.keyClicks(phone.number_field, number)
    phone.call_button.click()
    qtbot.waitUntil(lambda: calls.count(ev.CallState.CONFIRMED) > confirmed, timeout=WAIT)
    assert calls.last(ev.CallState.CONFIRMED).direction is ev.Direction.OUTBOUND
    _hang_up(qtbot, app, calls, ended)


def _recents(qtbot: QtBot, app: App, rows: int) -> list[list[str]]:
    """Recents as the agent sees it (every column of every row), once it shows ``rows``."""
    app.window.show_page("Recents")
    assert app.recents_view is not None
    table = app.recents_view.table.model()
    qtbot.waitUntil(lambda: table.rowCount() == rows, timeout=WAIT)
    return [
        [str(table.index(r, c).data() or "") for c in range(table.columnCount())]
        for r in range(rows)
    ]


def _signed_out_events(app: App) -> list[SessionStateChanged]:
    seen: list[SessionStateChanged] = []
    app.bus.subscribe(
        SessionStateChanged,
        lambda e: seen.append(e) if e.state is SessionState.SIGNED_OUT else None,
    )
    return seen


def _wiped(seen: list[SessionStateChanged]) -> bool:
    return bool(seen) and not seen[-1].wiping


def _nothing_left(shift: Shift) -> None:
    """The keychain holds nothing of this install and no history file is on disk."""
    assert shift.keychain.entries(shift.service_id) == []
    assert not any(p.exists() for p in db_files(shift.tmp / "data"))


def _choose(combo: QComboBox, data: str) -> None:
    """Pick the item whose data is ``data``, as a click in the open list does."""
    index = combo.findData(data)
    assert index >= 0, [combo.itemData(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def _ring_me(app: App) -> QAction:
    return _menu_action(app, "Ring me like VICIdial")


# ---- the shift -------------------------------------------------------------------------------


def test_a_whole_shift(shift: Shift) -> None:
    qtbot = shift.qtbot
    # The employer's server re-authenticates agents every 5 s today: every step below happens
    # with re-authentications going on.
    shift.admin("/admin/settings", {"reauth_after_s": 5})

    # -- morning: sign in through the form; a VICIdial call (Ctrl+Shift+G rings like VICIdial)
    # and a call out to the echo line; both in Recents; the visible ones exported as CSV.
    app = shift.start_app()
    qtbot.waitExposed(app.window)
    _sign_in(qtbot, app, shift)
    calls = Calls(app)
    _focus(qtbot, app)
    _vicidial_call(qtbot, app, calls, lambda: qtbot.keyClick(app.window, Qt.Key.Key_G, CTRL_SHIFT))
    _outgoing_call(qtbot, app, calls, "600")
    shown = _recents(qtbot, app, rows=2)
    entries = [app.history_model.entry(r) for r in range(2)]
    assert [e.direction for e in entries] == [ev.Direction.OUTBOUND, ev.Direction.INBOUND]
    assert all(e.outcome is Outcome.ANSWERED for e in entries)
    assert entries[1].auto_answered and "(auto)" in shown[1][4]
    assert entries[0].remote_number == "600"

    recents = app.recents_view
    assert recents is not None
    recents.filters.button(2).click()  # Incoming: the VICIdial call only
    incoming = _recents(qtbot, app, rows=1)
    recents.export_button.click()
    dialog = recents.export_dialog
    assert dialog is not None
    export = shift.tmp / "exports" / "shift.csv"
    export.parent.mkdir()
    dialog.selectFile(str(export))
    dialog.accept()
    qtbot.waitUntil(lambda: "1 call(s) exported" in recents.status.text(), timeout=WAIT)
    with export.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["direction"], r["auto_answered"]) for r in rows] == [("inbound", "1")]
    assert rows[0]["number"] in incoming[0][1] + incoming[0][2]  # the number Recents shows
    assert export.stat().st_mode & 0o777 == 0o600
    recents.filters.button(0).click()

    # -- sign out: the keychain holds nothing of ours, no history file is left
    seen = _signed_out_events(app)
    _menu_action(app, "Sign out").trigger()
    qtbot.waitUntil(lambda: _wiped(seen), timeout=WAIT)
    assert seen[-1].reason is SessionReason.USER_SIGN_OUT and seen[-1].left_behind == ()
    _nothing_left(shift)

    # -- sign in again: a call from the tray's "Ring me" is recorded, in Recents alone
    _sign_in(qtbot, app, shift)
    assert app.tray is not None
    tray_ring = next(a for a in app.tray.menu.actions() if a.text() == "Ring me like VICIdial")
    _vicidial_call(qtbot, app, calls, tray_ring.trigger)
    _recents(qtbot, app, rows=1)

    # -- Settings, as the agent leaves them for tomorrow: start minimised, the bell as the
    # ringer, calls ring instead of being answered by themselves
    settings = app.settings_view
    assert settings is not None
    app.window.show_page("Settings")
    settings.start_minimised.click()
    _choose(settings.ringer_combo, f"ALSA:{BELL_DEVICE}")
    _choose(settings.auto_answer, AutoAnswerMode.OFF.value)
    shift.quit(app)

    # -- the next start: minimised to the tray, signed in by itself, Recents as it was; the
    # first call rings on the bell (the speaker stays silent) and is answered from the
    # incoming-call window
    app = shift.start_app()
    assert app.tray is not None
    qtbot.waitUntil(lambda: app.tray is not None and app.tray.icon.isVisible(), timeout=WAIT)
    assert not app.window.isVisible()
    qtbot.waitUntil(lambda: app.window.status.registration.text() == "Registered", timeout=WAIT)
    assert not app.window.isVisible()
    calls = Calls(app)
    bell_take, speaker_take = shift.tmp / "bell.raw", shift.tmp / "speaker.raw"
    _ring_me(app).trigger()
    qtbot.waitUntil(lambda: bool(app.incoming_windows), timeout=WAIT)
    shift.pulse.record_sink(BELL, bell_take)
    shift.pulse.record_sink(SPEAKER, speaker_take)
    wait_until(lambda: len(recording(bell_take)) > 2 * 16_000 * 1.0, 10, "a second of the bell")
    wait_until(lambda: len(recording(speaker_take)) > 2 * 16_000 * 1.0, 10, "the speaker")
    assert rms(pcm(recording(bell_take))) > 300, "the ringtone is not on the ringer device"
    assert rms(pcm(recording(speaker_take))) < 50, "the ringtone leaked to the speaker"
    shift.pulse.stop_helpers()
    (window,) = app.incoming_windows.values()
    window.answer_button.click()
    qtbot.waitUntil(lambda: calls.count(ev.CallState.CONFIRMED) == 1, timeout=WAIT)
    assert calls.last(ev.CallState.CONFIRMED).answered_by is not ev.AnswerReason.HEADER
    app.tray.show_action.trigger()  # the agent opens the window from the tray
    qtbot.waitExposed(app.window)
    _hang_up(qtbot, app, calls, ended=0)
    _recents(qtbot, app, rows=2)  # yesterday's call and this one
    settings = app.settings_view
    assert settings is not None
    _choose(settings.auto_answer, AutoAnswerMode.HEADER.value)

    # -- the name server dies (the name is no longer in /etc/hosts, so every lookup waits on
    # a resolver that never answers): re-authentication and the network watch wait on it off
    # the GUI thread; the window keeps answering and a VICIdial call still works
    queries = shift.dns.queries
    with stall_probe() as probe:
        shift.names.write_hosts(socket.gethostname())
        qtbot.waitUntil(lambda: shift.dns.queries > queries, timeout=WAIT)
        _vicidial_call(qtbot, app, calls, _ring_me(app).trigger)
        _recents(qtbot, app, rows=3)
        qtbot.waitUntil(lambda: shift.dns.queries > queries + 4, timeout=30_000)
        shift.names.write_hosts("localhost", socket.gethostname())
    _no_stall(probe, "while the resolver was dead")
    assert app.window.status.registration.text() == "Registered"

    # -- the keychain is locked (a screen locker) and the app restarts: it says so, keeps
    # answering, and loses nothing; once unlocked, a sign-in brings the same Recents back
    shift.quit(app)
    shift.keychain.lock_login()
    app = shift.start_app()
    view = app.signin_view
    with stall_probe() as probe:
        qtbot.waitUntil(lambda: "unlock" in view.message_text.lower(), timeout=WAIT)
        assert app.service.session.state is SessionState.SIGNED_OUT
        # the agent signs in before unlocking it: refused with the same advice, nothing kept
        failed = _signed_out_events(app)
        _fill_in(app, shift)
        view.sign_in_button.click()
        qtbot.waitUntil(lambda: bool(failed), timeout=WAIT)
        assert failed[-1].reason is SessionReason.KEYCHAIN, failed
        assert "keychain is locked" in view.message_text
        assert app.window.status.registration.text() != "Registered"
    _no_stall(probe, "with the keychain locked")
    assert any(p.exists() for p in db_files(shift.tmp / "data"))  # nothing set aside or lost
    assert not list((shift.tmp / "data").glob("*.unreadable-*"))
    shift.keychain.restart_keyring()  # the agent unlocks the login keyring
    app.tray.show_action.trigger() if app.tray is not None else None
    _sign_in(qtbot, app, shift)
    _recents(qtbot, app, rows=3)
    calls = Calls(app)

    # -- the supervisor revokes the agent: signed out with the reason, everything wiped
    seen = _signed_out_events(app)
    shift.admin("/admin/agents/revoke", shift.agent())
    qtbot.waitUntil(lambda: _wiped(seen), timeout=30_000)
    assert seen[-1].reason is SessionReason.ACCOUNT_REVOKED and seen[-1].left_behind == ()
    assert "disabled" in app.signin_view.message_text
    _nothing_left(shift)

    # -- restored: a sign-in works and the history starts again
    shift.admin("/admin/agents/restore", shift.agent())
    _sign_in(qtbot, app, shift)
    _vicidial_call(qtbot, app, calls, _ring_me(app).trigger)
    _recents(qtbot, app, rows=1)

    # -- the company's add-on lapses: signed out with the add-on's message; back on, it works
    seen = _signed_out_events(app)
    shift.admin("/admin/addon", {"company_code": shift.env.credentials.company, "active": False})
    qtbot.waitUntil(lambda: _wiped(seen), timeout=30_000)
    assert seen[-1].reason is SessionReason.ADDON_INACTIVE
    message = app.signin_view.message_text
    assert "add-on" in message.lower() or "addon" in message.lower(), message
    _nothing_left(shift)
    shift.admin("/admin/addon", {"company_code": shift.env.credentials.company, "active": True})
    _sign_in(qtbot, app, shift)
    _outgoing_call(qtbot, app, calls, "600")
    _recents(qtbot, app, rows=1)
    shift.quit(app)


def _no_stall(probe: StallProbe, when: str) -> None:
    assert probe.ticks >= 5, probe  # it ran through the phase
    assert probe.worst_s < STALL_S, f"the GUI thread stalled {when}: {probe}"
