"""The real app composition end to end: the emulator over real TLS with its kamailio registrar,
gnome-keyring on a private D-Bus, the real SIP engine with the null audio backend. The person
signs in through the form; the status strip shows Registered and the firewall lease. Then the
issue's call flow over the demo lines: rung like VICIdial, auto-answered, held, hung up, in
Recents."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from PySide6.QtWidgets import QLabel
from pytestqt.exceptions import TimeoutError as WaitTimedOut
from pytestqt.qtbot import QtBot

from softphone.app import App, AppOptions
from softphone.audio.backend import NullBackend
from softphone.core import events as ev
from softphone.core.models import EngineConfig
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.demo.environment import DemoEnvironment, start_demo_environment
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from softphone.signin.config import SignInConfig
from softphone.signin.service import default_state_dir, load_install_ids
from softphone.storage.history import DB_NAME, KEY_NAME, HistoryStore, Outcome, db_files
from softphone.storage.keychain import KeychainStore
from softphone.storage.settings import AppSettings, default_path
from softphone.ui.diagnostics import TRACE_FILE, default_log_dir
from tests.support.secret_service import SecretService, serving_this_process
from tests.support.signin_form import wait_for_the_form
from tests.support.stranger import AUTO_ANSWER, Stranger

pytestmark = [
    pytest.mark.integration,
    # keyring's SecretService backend leaves a failed call's D-Bus connection to the GC
    pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*/bus>:ResourceWarning"),
]
BIND = "127.0.0.2"
WAIT = 20_000


@pytest.fixture(autouse=True)
def _log_at_info(caplog: pytest.LogCaptureFixture) -> None:
    """A failure here shows the app's INFO log (sign-in steps, registration), not warnings only."""
    caplog.set_level(logging.INFO)


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    with serving_this_process(tmp_path / "secret-service") as service:
        yield service


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    state = EmulatorState.from_seed()
    server = EmulatorServer(
        state, port=0, ca_out=tmp_path / "ca.pem", registrar=Registrar(state.sip_users())
    )
    with server:
        yield server


def test_sign_in_through_the_form_registers_and_shows_the_firewall(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, emulator: EmulatorServer
) -> None:
    store = KeychainStore.open(str(uuid.uuid4()), SecretServiceKeyring())
    app = App(
        AppOptions(
            data_dir=tmp_path / "data",
            settings_path=tmp_path / "settings.json",
            store=store,
            device_id="e2e-device",
            signin=SignInConfig(
                control_plane=emulator.url, ca_file=str(emulator.ca_file), bind_address=BIND
            ),
            instance=f"vicifast-e2e-{uuid.uuid4().hex[:8]}",
            engine_config=EngineConfig(bind_address=BIND),
            audio_backend=NullBackend,
            tray=True,
            confirm=lambda parent, text: True,
        )
    )
    qtbot.addWidget(app.window)
    try:
        app.start()
        view, status = app.signin_view, app.window.status
        wait_for_the_form(qtbot, app, WAIT)
        assert not app.window.signed_in_view
        view.company.setText("DEMO")
        view.username.setText("agent1")
        view.password.setText("wrong-password")
        view.sign_in_button.click()
        qtbot.waitUntil(lambda: "not correct" in view.message_text, timeout=WAIT)
        assert view.password.text() == ""
        view.password.setText("demo-pass-1")
        view.sign_in_button.click()
        qtbot.waitUntil(lambda: status.registration.text() == "Registered", timeout=WAIT)
        assert app.window.signed_in_view
        assert status.firewall.text().startswith(f"Firewall open for {BIND} until ")
        assert app.settings_view is not None  # shows what the engine found at start
        assert app.settings_view.capability_labels["tls"].text().startswith("Available (OpenSSL")
        assert view.password.text() == ""  # the keychain has it, not the widget
        qtbot.waitUntil(lambda: store.get("vicidial.password") is not None, timeout=WAIT)
        settings = (
            (tmp_path / "settings.json").read_text()
            if (tmp_path / "settings.json").exists()
            else ""
        )
        assert "demo-pass-1" not in settings
    finally:
        _quit(qtbot, app)
    assert not app.engine.current.running


def _quit(qtbot: QtBot, app: App) -> None:
    """Quit, and wait until it has finished in the background (the engine unregistered)."""
    if app.stopped_cleanly is None:
        with qtbot.waitSignal(app.finished, timeout=WAIT):
            app.quit()
    assert app.stopped_cleanly


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _demo_app(qtbot: QtBot, tmp_path: Path, env: DemoEnvironment, **options: Any) -> App:
    """The real app on the demo environment, its keychain the private Secret Service;
    ``options`` replace AppOptions' fields (say, the platform's own folders)."""
    store = KeychainStore.open(str(uuid.uuid4()), SecretServiceKeyring())
    fields: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "settings_path": tmp_path / "settings.json",
        "store": store,
        "device_id": "e2e-device",
        "signin": SignInConfig(
            control_plane=env.control_plane, ca_file=str(env.ca_file), bind_address=BIND
        ),
        "instance": f"vicifast-e2e-{uuid.uuid4().hex[:8]}",
        "engine_config": EngineConfig(bind_address=BIND),
        "audio_backend": NullBackend,
        "tray": True,
        "confirm": lambda parent, text: True,
        "log_dir": tmp_path / "logs",
        "demo_env": env,
    }
    app = App(AppOptions(**{**fields, **options}))
    qtbot.addWidget(app.window)
    return app


def _sign_in_through_the_form(qtbot: QtBot, app: App, env: DemoEnvironment) -> None:
    view, status = app.signin_view, app.window.status
    wait_for_the_form(qtbot, app, WAIT)
    creds = env.credentials
    view.company.setText(creds.company)
    view.username.setText(creds.username)
    view.password.setText(creds.password.reveal())
    view.sign_in_button.click()
    try:
        qtbot.waitUntil(lambda: status.registration.text() == "Registered", timeout=WAIT)
    except WaitTimedOut as exc:  # say where it stopped: the session, the form, the strip
        seen = (
            f"session {app.service.session.state.name}, form says {view.message_text!r}, "
            f"strip says {status.registration.text()!r}"
        )
        raise AssertionError(f"not Registered within {WAIT} ms: {seen}") from exc


@contextlib.contextmanager
def _signed_in_demo_app(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[App, DemoEnvironment]]:
    """The demo world and the real app on it, signed in through the form; both closed after."""
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    env = start_demo_environment(tmp_path / "demo")
    app: App | None = None
    try:
        app = _demo_app(qtbot, tmp_path, env)
        app.start()
        _sign_in_through_the_form(qtbot, app, env)
        yield app, env
    finally:
        if app is not None:
            _quit(qtbot, app)
        env.close()


def test_rung_like_vicidial_the_call_is_auto_answered_held_hung_up_and_in_recents(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService
) -> None:
    """The issue's flow: sign in through the form → the demo's tone line rings the agent with
    Call-Info answer-after=0 through kamailio (the GUI's "Ring me like VICIdial") → answered
    automatically, shown so → Hold (local hold reported by the engine) → Hang up → Recents has
    the call as answered and auto-answered."""
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    env = start_demo_environment(tmp_path / "demo")
    pids = env.pids()
    app: App | None = None
    try:
        app = _demo_app(qtbot, tmp_path, env)
        media: list[ev.CallMediaChanged] = []
        states: list[ev.CallStateChanged] = []
        app.bus.subscribe(ev.CallMediaChanged, media.append)
        app.bus.subscribe(ev.CallStateChanged, states.append)
        app.start()
        _sign_in_through_the_form(qtbot, app, env)

        phone, recents = app.phone_view, app.recents_view
        assert phone is not None and recents is not None
        assert phone.auto_answer_label.isVisibleTo(phone)
        assert phone.auto_answer_label.text() == "Auto-answer: when the server asks"
        ring = next(a for a in app.window.go_menu.actions() if a.text() == "Ring me like VICIdial")
        ring.trigger()
        qtbot.waitUntil(
            lambda: any(s.state is ev.CallState.CONFIRMED for s in states), timeout=WAIT
        )
        confirmed = next(s for s in states if s.state is ev.CallState.CONFIRMED)
        assert confirmed.direction is ev.Direction.INBOUND
        assert confirmed.answered_by is ev.AnswerReason.HEADER
        assert not app.incoming_windows  # answered at once: no window to dismiss
        page = phone.call_page
        qtbot.waitUntil(lambda: phone.stack.currentWidget() is page, timeout=WAIT)
        assert page.state_label.text() == "Connected · answered automatically"

        page.hold_button.click()
        qtbot.waitUntil(lambda: any(m.hold is ev.HoldState.LOCAL for m in media), timeout=WAIT)
        qtbot.waitUntil(lambda: page.state_label.text() == "On hold", timeout=WAIT)
        page.hangup_button.click()
        qtbot.waitUntil(
            lambda: any(s.state is ev.CallState.DISCONNECTED for s in states), timeout=WAIT
        )

        app.window.show_page("Recents")
        model = app.history_model
        qtbot.waitUntil(lambda: model.rowCount() >= 1, timeout=WAIT)
        entry = model.entry(0)
        assert entry.outcome is Outcome.ANSWERED and entry.auto_answered
        assert entry.direction is ev.Direction.INBOUND
        assert "(auto)" in recents.table.model().index(0, 4).data()
    finally:
        if app is not None:
            _quit(qtbot, app)
        env.close()
    assert app is not None and not app.engine.current.running
    assert not [pid for pid in pids if _alive(pid)]


def test_a_strangers_call_shows_nothing_and_an_accepted_direct_call_is_marked_and_not_answered(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService
) -> None:
    """Signed in through the form (registered at the demo's kamailio), the app is called
    straight at its SIP port from 127.0.0.66 with an auto-answer request: 403, and the agent
    sees nothing (no window, no tray notice, no call on the phone page, nothing in Recents).
    With "Accept direct calls" ticked in Settings the same call rings, marked as a direct call
    from that address, and is not answered."""
    with _signed_in_demo_app(qtbot, tmp_path) as (app, _env):
        incoming: list[ev.IncomingCall] = []
        refused: list[ev.UntrustedRequestsRefused] = []
        app.bus.subscribe(ev.IncomingCall, incoming.append)
        app.bus.subscribe(ev.UntrustedRequestsRefused, refused.append)
        assert app.tray is not None
        notices: list[tuple[str, str]] = []
        app.tray.notify = lambda title, text: notices.append((title, text))  # type: ignore[method-assign]
        phone = app.phone_view
        assert phone is not None and app.settings_view is not None
        target = app.engine.current.snapshot().result(5).transports["udp"]

        with Stranger("127.0.0.66", target) as stranger:
            stranger.invite(AUTO_ANSWER)
            assert stranger.final() == 403
            stranger.ack()
        qtbot.waitUntil(lambda: bool(refused), timeout=WAIT)
        assert refused[0].sources[0].startswith("127.0.0.66:")
        assert incoming == [] and notices == [] and not app.incoming_windows
        assert phone.stack.currentWidget() is not phone.call_page
        assert app.history_model.rowCount() == 0
        # Settings says why a call the agent may have expected never rang.
        assert app.settings_view.refused_label.isVisibleTo(app.settings_view)
        assert "127.0.0.66" in app.settings_view.refused_label.text()
        # and Help → Connection log has the whole story: registered, then the stranger refused
        log = app.window.event_log.text()
        assert "Registered over UDP" in log and "127.0.0.66" in log, log

        app.settings_view.accept_direct.click()  # as the agent would, in Settings → Calls
        assert app.settings.accept_direct_calls
        with Stranger("127.0.0.66", target) as stranger:
            qtbot.waitUntil(lambda: _rings(stranger), timeout=WAIT)
            qtbot.waitUntil(lambda: bool(app.incoming_windows), timeout=WAIT)
            (window,) = app.incoming_windows.values()
            source = f"127.0.0.66:{stranger.port}"
            assert incoming[-1].direct_from == source
            assert incoming[-1].auto_answer_in_s is None
            assert f"Direct call from {source}" in [w.text() for w in window.findChildren(QLabel)]
            qtbot.waitUntil(lambda: phone.stack.currentWidget() is phone.call_page, timeout=WAIT)
            assert phone.call_page.state_label.text() == f"Direct call from {source}"
            window.decline_button.click()
            assert stranger.final() == 603
            stranger.ack()


def _rings(stranger: Stranger) -> bool:
    # The setting reaches the engine through its queue: ask until the call rings.
    stranger.invite(AUTO_ANSWER)
    code = stranger.next_status()
    while code == 100:
        code = stranger.next_status()
    if code == 180:
        return True
    stranger.ack()
    return False


# ---- what the app leaves on disk, and wipes that say when they are done (issue 14) ------------


def _take_a_call(qtbot: QtBot, app: App, rows: int) -> None:
    """The demo's tone line rings the agent (auto-answered); hung up; ``rows`` in Recents."""
    states: list[ev.CallStateChanged] = []
    unsubscribe = app.bus.subscribe(ev.CallStateChanged, states.append)
    ring = next(a for a in app.window.go_menu.actions() if a.text() == "Ring me like VICIdial")
    ring.trigger()
    qtbot.waitUntil(lambda: any(s.state is ev.CallState.CONFIRMED for s in states), timeout=WAIT)
    assert app.phone_view is not None
    page = app.phone_view.call_page
    qtbot.waitUntil(page.hangup_button.isEnabled, timeout=WAIT)
    page.hangup_button.click()
    qtbot.waitUntil(lambda: any(s.state is ev.CallState.DISCONNECTED for s in states), timeout=WAIT)
    qtbot.waitUntil(lambda: app.history_model.rowCount() == rows, timeout=WAIT)
    unsubscribe()


def _signed_out(app: App) -> list[tuple[SessionStateChanged, list[bool]]]:
    """Each SIGNED_OUT as it is published, with whether the history and trace were there then."""
    seen: list[tuple[SessionStateChanged, list[bool]]] = []
    data, trace = app.options.data_dir, app.trace.path

    def on_session(event: SessionStateChanged) -> None:
        if event.state is SessionState.SIGNED_OUT:
            seen.append((event, [p.exists() for p in (*db_files(data), trace)]))

    app.bus.subscribe(SessionStateChanged, on_session)
    return seen


def _wiped(seen: list[tuple[SessionStateChanged, list[bool]]]) -> bool:
    return bool(seen) and not seen[-1][0].wiping


def _modes(*roots: Path) -> dict[str, int]:
    """Every folder and file under ``roots`` (and the roots), with its permission bits."""
    found = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            found[str(path)] = path.stat().st_mode & 0o777
    return found


def test_the_apps_files_are_the_owners_only_and_sign_out_deletes_them_before_saying_so(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed in through the form with the SIP trace on, a call taken: every folder the app
    made under the data, config and state (log) folders is 0700 and every file in them 0600,
    with a desktop's umask. Sign-out: the window says "…were deleted" only once calls.db (-wal,
    -shm) and the trace are gone, and the keychain is empty."""
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    umask = os.umask(0o022)
    env = start_demo_environment(tmp_path / "demo")
    app: App | None = None
    try:
        # the platform's own folders, under the private HOME and XDG folders of this test
        data, settings_path, log = default_state_dir(), default_path(), default_log_dir()
        assert str(tmp_path) in str(data) and str(tmp_path) in str(log)
        AppSettings().with_(sip_trace=True).save(settings_path)
        load_install_ids()  # as the app's start does
        app = _demo_app(
            qtbot, tmp_path, env, data_dir=data, settings_path=settings_path, log_dir=None
        )
        assert app.trace.attached and app.trace.path == log / TRACE_FILE
        app.start()
        _sign_in_through_the_form(qtbot, app, env)
        _take_a_call(qtbot, app, rows=1)

        trace = log / TRACE_FILE
        assert "INVITE sip:" in trace.read_text()
        assert all(p.exists() for p in db_files(data))
        roots = (data, settings_path.parent, log.parent)
        modes = _modes(*roots)
        for name in (*map(str, db_files(data)), str(trace), str(settings_path)):
            assert modes.pop(name) == 0o600, name
        assert modes.pop(str(data / "install.json")) == 0o600
        for path, bits in modes.items():
            assert bits == (0o700 if Path(path).is_dir() else 0o600), (path, oct(bits))

        seen = _signed_out(app)
        app.sign_out()
        qtbot.waitUntil(lambda: _wiped(seen), timeout=WAIT)
        (early, there_early), (final, there_then) = seen[0], seen[-1]
        assert early.wiping and "were deleted" not in early.message
        assert there_early == [True, True, True, True]  # said at once: nothing deleted yet
        assert final.reason is SessionReason.USER_SIGN_OUT and final.left_behind == ()
        assert "call history were deleted" in final.message
        assert there_then == [False, False, False, False]  # gone before it was said
        assert "call history were deleted" in app.signin_view.message_text
        assert not any(p.exists() for p in db_files(data))
        assert not trace.exists() or "INVITE" not in trace.read_text()
        store = app.options.store
        assert isinstance(store, KeychainStore) and store.keys() == frozenset()
    finally:
        if app is not None:
            _quit(qtbot, app)
        env.close()
        os.umask(umask)


def test_revocation_deletes_the_history_and_the_next_sign_in_starts_a_new_one(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService
) -> None:
    """Revoked while signed in: calls.db and the trace are deleted with the keychain. Restored
    and signed in again in the same run, the app writes a new database under a new key."""
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    AppSettings().with_(sip_trace=True).save(tmp_path / "settings.json")
    env = start_demo_environment(tmp_path / "demo")
    app: App | None = None
    try:
        app = _demo_app(qtbot, tmp_path, env)
        store = app.options.store
        assert isinstance(store, KeychainStore)
        app.start()
        _sign_in_through_the_form(qtbot, app, env)
        _take_a_call(qtbot, app, rows=1)
        first_key = store.get(KEY_NAME)
        assert first_key is not None and app.trace.path.exists()

        seen = _signed_out(app)
        creds, state = env.credentials, env.server.state
        state.set_agent_active(creds.company, creds.username, False, env.server._clock())
        app.service.on_ip_changed()  # a re-auth now, not in an hour
        qtbot.waitUntil(lambda: _wiped(seen), timeout=WAIT)
        final, there_then = seen[-1]
        assert final.reason is SessionReason.ACCOUNT_REVOKED and final.left_behind == ()
        assert there_then == [False, False, False, False]
        assert "disabled" in app.signin_view.message_text
        assert not any(p.exists() for p in db_files(tmp_path / "data"))
        assert store.keys() == frozenset()

        state.set_agent_active(creds.company, creds.username, True, env.server._clock())
        _sign_in_through_the_form(qtbot, app, env)
        _take_a_call(qtbot, app, rows=1)  # only the new call: the old history is gone
        new_key = store.get(KEY_NAME)
        assert new_key is not None and new_key != first_key
        reader = HistoryStore.open(tmp_path / "data", store)  # readable with the new key
        try:
            assert reader.count() == 1
        finally:
            reader.close()
    finally:
        if app is not None:
            _quit(qtbot, app)
        env.close()


def test_after_sign_out_and_a_new_sign_in_calls_are_recorded_again(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService
) -> None:
    """Sign-out's wipe closes the history; the next sign-in opens a new one (issue 16: only
    Recents' "Clear all" used to, so every call after a sign-out went unrecorded, silently)."""
    with _signed_in_demo_app(qtbot, tmp_path) as (app, env):
        _take_a_call(qtbot, app, rows=1)

        seen = _signed_out(app)
        app.sign_out()
        qtbot.waitUntil(lambda: _wiped(seen), timeout=WAIT)
        assert app.history_model.rowCount() == 0

        _sign_in_through_the_form(qtbot, app, env)
        _take_a_call(qtbot, app, rows=1)  # the second call, in Recents
        assert app.recents_view is not None
        table = app.recents_view.table
        qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=WAIT)
        reader = HistoryStore.open(tmp_path / "data", app.options.store)  # and on disk
        try:
            assert reader.count() == 1
        finally:
            reader.close()


def test_a_wipe_that_leaves_the_history_says_what_is_left_and_where(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService
) -> None:
    with _signed_in_demo_app(qtbot, tmp_path) as (app, _env):
        # a set-aside copy unlink() refuses (a folder: even to root)
        stuck = tmp_path / "data" / f"{DB_NAME}.unreadable-20250131-080000"
        (stuck / "inside").mkdir(parents=True)
        seen = _signed_out(app)
        app.sign_out()
        qtbot.waitUntil(lambda: _wiped(seen), timeout=WAIT)
        final = seen[-1][0]
        assert final.left_behind == (f"the call history at {stuck}",)
        view = app.signin_view
        assert view.message_text == (
            f"You signed out, but the call history at {stuck} could not be deleted: Is a "
            "directory. Delete it by hand, or sign in and sign out again."
        )
        assert view.message.property("kind") == "error"
        assert not (tmp_path / "data" / DB_NAME).exists()  # the rest went all the same
