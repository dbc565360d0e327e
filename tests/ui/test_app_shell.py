"""The application shell: the bridge onto the GUI thread, the status strip, single instance and
links, and the app's composition with a fake engine (close to tray, quit stops the engine)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.engine import EnginePhone
from softphone.core.executor import Outcome
from softphone.core.links import dial_target, is_link
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineSnapshot, Ringtone
from softphone.core.session_events import (
    FirewallLeaseChanged,
    SessionReason,
    SessionState,
    SessionStateChanged,
)
from softphone.ui.bridge import QtBridge
from softphone.ui.main_window import StatusStrip, registration_text
from softphone.ui.single_instance import instance_server, send_to_running, server_path
from softphone.ui.tray import TRAY_NOTICE
from tests.ui.app_kit import app_maker

WAIT = 5000


# ---- the bridge ---------------------------------------------------------------------------


def test_an_event_posted_from_another_thread_is_published_on_the_gui_thread(
    qtbot: QtBot, bridge: QtBridge
) -> None:
    seen: list[tuple[ev.Event, threading.Thread]] = []
    bridge.bus.subscribe(ev.EngineStopped, lambda e: seen.append((e, threading.current_thread())))
    event = ev.EngineStopped(clean=True)
    poster = threading.Thread(target=bridge.post, args=(event,), name="sip")
    poster.start()
    poster.join()
    assert seen == []  # queued, not called on the posting thread
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=WAIT)
    assert seen[0] == (event, threading.main_thread())


def test_work_for_a_deleted_widget_is_dropped_not_run_on_its_remains(
    qtbot: QtBot, bridge: QtBridge
) -> None:
    kept, gone = QObject(), QObject()
    ran: list[str] = []
    release = threading.Event()

    def work() -> str:
        release.wait(WAIT / 1000)
        return "result"

    bridge.run_in_pool(work, lambda out: ran.append(f"gone:{out.value}"), gone)
    bridge.run_in_pool(work, lambda out: ran.append(f"kept:{out.value}"), kept)
    shiboken6.delete(gone)
    release.set()
    qtbot.waitUntil(lambda: "kept:result" in ran, timeout=WAIT)
    bridge.post_call(lambda: ran.append("after"))  # queued behind anything still pending
    qtbot.waitUntil(lambda: "after" in ran, timeout=WAIT)
    assert ran == ["kept:result", "after"]


def test_a_lane_runs_its_work_in_order_and_closing_the_bridge_closes_it(
    qtbot: QtBot, bridge: QtBridge
) -> None:
    lane = bridge.lane("ordered")
    done: list[tuple[int, str, bool]] = []
    for n in range(5):
        lane(
            lambda n=n: (n, threading.current_thread().name),  # type: ignore[misc]
            lambda out: done.append(
                (*out.value, threading.current_thread() is threading.main_thread())
            ),
        )
    qtbot.waitUntil(lambda: len(done) == 5, timeout=WAIT)
    assert [n for n, _thread, _gui in done] == [0, 1, 2, 3, 4]
    assert all(thread.startswith("ordered") and on_gui for _n, thread, on_gui in done)
    bridge.close()
    assert lane.closed
    lane(lambda: 1, lambda out: done.append((9, "", True)))  # dropped: the lane is closed
    bridge.post_call(lambda: done.append((10, "", True)))
    qtbot.waitUntil(lambda: len(done) == 6, timeout=WAIT)
    assert done[-1][0] == 10


def test_pool_results_and_timers_run_on_the_gui_thread(qtbot: QtBot, bridge: QtBridge) -> None:
    outcomes: list[tuple[Outcome[str], threading.Thread]] = []
    workers: list[str] = []

    def work() -> str:
        workers.append(threading.current_thread().name)
        return "done"

    bridge.run_in_pool(work, lambda out: outcomes.append((out, threading.current_thread())))
    qtbot.waitUntil(lambda: len(outcomes) == 1, timeout=WAIT)
    assert outcomes[0][0].value == "done" and outcomes[0][1] is threading.main_thread()
    assert workers[0].startswith("gui-pool")

    def boom() -> str:
        raise ValueError("no")

    bridge.run_in_pool(boom, lambda out: outcomes.append((out, threading.current_thread())))
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=WAIT)
    assert isinstance(outcomes[1][0].error, ValueError)

    fired: list[str] = []
    cancelled = bridge.call_later(0.01, lambda: fired.append("cancelled"))
    assert cancelled.cancel() and not cancelled.pending
    bridge.call_later(0.02, lambda: fired.append("kept"))
    qtbot.waitUntil(lambda: fired == ["kept"], timeout=WAIT)
    qtbot.wait(50)
    assert fired == ["kept"]


# ---- the status strip ---------------------------------------------------------------------


def test_status_strip_follows_registration_and_the_firewall_lease(qtbot: QtBot) -> None:
    bus = EventBus()
    strip = StatusStrip(bus)
    qtbot.addWidget(strip)
    assert strip.registration.text() == "Signed out"
    bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    assert strip.registration.text() == "Registering…"
    reg = ev.RegistrationChanged
    bus.publish(reg(account_id="session", state=ev.RegistrationState.REGISTERED, code=200))
    assert strip.registration.text() == "Registered"
    bus.publish(reg(account_id="other", state=ev.RegistrationState.FAILED, code=403))
    assert strip.registration.text() == "Registered"  # another account is not the session's
    bus.publish(
        reg(account_id="session", state=ev.RegistrationState.RETRYING, code=503, retry_in_s=8)
    )
    assert strip.registration.text() == "Retrying in 8 s"
    bus.publish(
        reg(account_id="session", state=ev.RegistrationState.FAILED, code=403, reason="Forbidden")
    )
    assert strip.registration.text() == "Not registered: 403 Forbidden"

    until = datetime(2030, 1, 1, 14, 2, tzinfo=UTC)
    bus.publish(FirewallLeaseChanged(ip="203.0.113.7", expires_at=until))
    expected = f"Firewall open for 203.0.113.7 until {until.astimezone():%d %b %H:%M}"
    assert strip.firewall.text() == expected

    bus.publish(
        SessionStateChanged(
            state=SessionState.BACKING_OFF, reason=SessionReason.TRANSIENT, retry_in_s=30
        )
    )
    assert strip.note.text() == "Can't reach the server, retrying in 30 s"
    bus.publish(FirewallLeaseChanged(ip="", expires_at=None))
    bus.publish(SessionStateChanged(state=SessionState.SIGNED_OUT))
    assert (strip.registration.text(), strip.firewall.text(), strip.note.text()) == (
        "Signed out",
        "",
        "",
    )


def test_a_retry_counts_down() -> None:
    event = ev.RegistrationChanged(
        account_id="session", state=ev.RegistrationState.RETRYING, retry_in_s=8, at=1000.0
    )
    assert registration_text(event, now=1000.0) == "Retrying in 8 s"
    assert registration_text(event, now=1005.5) == "Retrying in 3 s"
    assert registration_text(event, now=1020.0) == "Retrying in 1 s"


# ---- single instance and links ------------------------------------------------------------


def test_links_become_dial_targets() -> None:
    assert is_link("SIP:100@pbx") and is_link("callto:5") and not is_link("agent")
    assert dial_target("sip:100@pbx.example.com") == "sip:100@pbx.example.com"
    assert dial_target("tel:+1-555-123-4567;phone-context=x") == "+15551234567"
    assert dial_target("callto://555 1234") == "5551234"
    assert dial_target("callto:bob@pbx") == "sip:bob@pbx"
    assert dial_target("tel:") is None
    assert dial_target("sip:") is None


def test_a_second_start_hands_its_link_to_the_first(qtbot: QtBot, tmp_path: Path) -> None:
    name = f"vicifast-test-{tmp_path.name}"
    assert not send_to_running(name, ["sip:100@pbx"])  # nobody listens yet
    server = instance_server(name)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.received, timeout=WAIT) as got:
            assert send_to_running(name, ["tel:+15551234"])
        assert got.args == [["tel:+15551234"]]
        with qtbot.waitSignal(server.received, timeout=WAIT) as got:
            assert send_to_running(name, [])
        assert got.args == [[]]
    finally:
        server.close()


def test_a_second_start_finds_the_first_where_qt_put_it_not_a_dead_one_nor_a_strangers(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's socket is where QLocalServer puts it (Qt's temporary directory, through a
    # symlink as macOS's /tmp is), the user's alone; the check before the first window finds it.
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "linked"))
    name = "vicifast-test-tmpdir"
    server = instance_server(name)
    assert server.listen()
    try:
        assert server_path(name) == str(real / name)
        assert (real / name).is_socket()
        assert (real / name).stat().st_mode & 0o777 == 0o600
        with qtbot.waitSignal(server.received, timeout=WAIT) as got:
            assert send_to_running(name, ["sip:7@pbx"])
        assert got.args == [["sip:7@pbx"]]
    finally:
        server.close()
    # another user's socket where ours would be (a shared temporary folder): never written to
    server = instance_server(name)
    assert server.listen()
    got_any: list[list[str]] = []
    server.received.connect(got_any.append)
    try:
        with monkeypatch.context() as other_user:
            other_user.setattr("os.getuid", lambda: (real / name).stat().st_uid + 1)
            assert not send_to_running(name, ["sip:7@pbx"])
        assert send_to_running(name, ["sip:8@pbx"])  # ours again: it is the running app
        qtbot.waitUntil(lambda: got_any == [["sip:8@pbx"]], timeout=WAIT)
    finally:
        server.close()
    # a crashed instance's socket file: nobody answers, so this start is the first
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(real / name))
    dead.close()
    assert (real / name).exists()
    assert not send_to_running(name, ["sip:7@pbx"])
    server = instance_server(name)  # and the server takes its place
    assert server.listen()
    try:
        with qtbot.waitSignal(server.received, timeout=WAIT) as got:
            assert send_to_running(name, ["sip:9@pbx"])
        assert got.args == [["sip:9@pbx"]]
    finally:
        server.close()
    assert not (real / name).exists()


# ---- the app with a fake engine -----------------------------------------------------------


class FakeEngine:
    """Stands in for SipEngine: records what the app asks, never touches the network."""

    def __init__(self, emit: Callable[[ev.Event], None], config: Any, audio: Any) -> None:
        self.emit = emit
        self.calls: list[tuple[str, ...]] = []
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def _done(self, value: Any = None) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(value)
        return future

    def set_sip_trace(self, on: bool) -> Future[bool]:
        return self._done(True)

    def add_account(self, config: Any, account_id: str | None = None) -> Future[str]:
        return self._done(account_id or "acc")

    def remove_account(self, account_id: str) -> Future[None]:
        return self._done()

    def reregister(self, account_id: str) -> Future[None]:
        return self._done()

    def handle_ip_change(self) -> Future[None]:
        return self._done()

    def make_call(self, account_id: str, target: str) -> Future[str]:
        self.calls.append(("make_call", account_id, target))
        return self._done("call-1")

    def hold(self, call_id: str) -> Future[None]:
        self.calls.append(("hold", call_id))
        return self._done()

    def set_auto_answer(self, account_id: str, policy: Any) -> Future[None]:
        self.calls.append(("set_auto_answer", account_id, str(policy)))
        return self._done()

    def snapshot(self) -> Future[EngineSnapshot]:
        return self._done(EngineSnapshot({}, (), {"udp": "127.0.0.1:5070"}, None, Ringtone.WARBLE))


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    engines: list[FakeEngine] = []

    def factory(*args: Any) -> FakeEngine:
        engine = FakeEngine(*args)
        engines.append(engine)
        return engine

    with app_maker(qtbot, tmp_path, factory) as build:

        def make(**overrides: Any) -> App:
            app = build(**overrides)
            app.fake_engines = engines  # type: ignore[attr-defined]
            return app

        yield make


def test_quit_stops_the_engine_audio_and_history(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    assert app.window.isVisible()
    (engine,) = app.fake_engines  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: engine.started, timeout=WAIT)  # on a thread of its own
    with qtbot.waitSignal(app.finished, timeout=WAIT):
        app.quit()
        assert not app.window.isVisible()  # at once; the rest in the background
    assert engine.stopped and app.stopped_cleanly
    assert not app.history._thread.is_alive()
    assert app.audio.stream is None
    app.quit()  # twice is harmless


def test_closing_the_window_hides_to_the_tray_and_says_so_once(
    qtbot: QtBot, make_app: Callable[..., App], tmp_path: Path
) -> None:
    app = make_app()
    app.start()
    assert app.tray is not None
    notices: list[tuple[str, str]] = []
    app.tray.notify = lambda title, text: notices.append((title, text))  # type: ignore[method-assign]
    app.window.close()
    assert not app.window.isVisible()
    assert notices == [("VICIfast Desktop", TRAY_NOTICE)]
    assert not app.fake_engines[0].stopped  # type: ignore[attr-defined]
    app.show_window()
    assert app.window.isVisible()
    app.window.close()
    assert len(notices) == 1  # only the first time...
    assert '"close_to_tray_notice_shown": true' in (tmp_path / "settings.json").read_text()


def test_the_notice_is_remembered_across_runs(make_app: Callable[..., App], tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"close_to_tray_notice_shown": true}')
    app = make_app()
    app.start()
    notices: list[str] = []
    assert app.tray is not None
    app.tray.notify = lambda title, text: notices.append(text)  # type: ignore[method-assign]
    app.window.close()
    assert notices == [] and not app.window.isVisible()


def test_without_a_tray_closing_quits(qtbot: QtBot, make_app: Callable[..., App]) -> None:
    app = make_app(tray=False)
    app.start()
    with qtbot.waitSignal(app.finished, timeout=WAIT):
        app.window.close()
    assert app.fake_engines[0].stopped  # type: ignore[attr-defined]


def test_a_link_from_a_second_start_is_confirmed_then_dialled_once_registered(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    asked: list[str] = []
    app = make_app(confirm=lambda parent, text: asked.append(text) or True)
    app.start()
    engine = app.fake_engines[0]  # type: ignore[attr-defined]
    app.window.hide()
    with qtbot.waitSignal(app.instance_server.received, timeout=WAIT):
        assert send_to_running(app.options.instance, ["callto:555-1234"])
    assert asked == ["Call 5551234?"]
    assert app.window.isVisible()
    assert engine.calls == []  # not registered yet: kept for later
    app.bus.publish(
        ev.RegistrationChanged(account_id="session", state=ev.RegistrationState.REGISTERED)
    )
    assert engine.calls == [("make_call", "session", "5551234")]


def test_a_declined_link_is_not_dialled(make_app: Callable[..., App]) -> None:
    app = make_app(confirm=lambda parent, text: False)
    app.start()
    app.bus.publish(
        ev.RegistrationChanged(account_id="session", state=ev.RegistrationState.REGISTERED)
    )
    app.handle_argv(["sip:100@pbx"])
    assert app.fake_engines[0].calls == []  # type: ignore[attr-defined]


def test_pages_mount_and_the_window_follows_the_session(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.start()
    titles = [app.window.tabs.tabText(i) for i in range(app.window.tabs.count())]
    assert titles == ["Phone", "Recents", "Settings", "Provisioning"]
    assert not app.window.signed_in_view
    app.bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    assert app.window.signed_in_view
    app.bus.publish(SessionStateChanged(state=SessionState.SIGNED_OUT))
    assert not app.window.signed_in_view


def test_engine_phone_commands_go_to_the_current_engine() -> None:
    first = FakeEngine(lambda e: None, None, None)
    current = [first]
    phone = EnginePhone(lambda: current[0])  # type: ignore[arg-type, return-value]
    phone.make_call("100")
    second = FakeEngine(lambda e: None, None, None)
    current[0] = second  # the engine moved to another address
    phone.hold("c1")
    assert first.calls == [("make_call", "session", "100")]
    assert second.calls == [("hold", "c1")]


def test_expired_lease_describes_in_local_time() -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert (
        FirewallLeaseChanged(ip="1.2.3.4", expires_at=soon)
        .describe()
        .startswith("firewall open for 1.2.3.4 until ")
    )


# ---- the pages wired together (fake engine) -----------------------------------------------


def _signed_in(app: App) -> None:
    app.bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    app.bus.publish(
        ev.RegistrationChanged(
            account_id="session", state=ev.RegistrationState.REGISTERED, transport="udp"
        )
    )


def _incoming(call_id: str, auto_in: float | None = None) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id="session",
        remote_uri="sip:5551234@pbx",
        remote_number="5551234",
        remote_display="Ann Example",
        auto_answer_in_s=auto_in,
        auto_answer_reason=None,
        waiting=False,
    )


def test_an_incoming_call_presents_the_window_and_notifies_the_caller_id_once(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    _signed_in(app)
    assert app.tray is not None
    notices: list[tuple[str, str]] = []
    app.tray.notify = lambda title, text: notices.append((title, text))  # type: ignore[method-assign]
    app.bus.publish(_incoming("c1"))
    window = app.incoming_windows["c1"]
    qtbot.waitExposed(window)
    assert notices == [("Incoming call", window.caller_text)]
    assert "5551234" in window.caller_text
    app.bus.publish(_incoming("c2", auto_in=0.0))  # answered at once: no window, no notice
    assert "c2" not in app.incoming_windows and len(notices) == 1


def test_auto_answer_follows_the_settings_on_the_page_and_the_engine(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    phone, settings = app.phone_view, app.settings_view
    assert phone is not None and settings is not None
    assert not phone.auto_answer_label.isVisibleTo(phone)  # no account yet
    _signed_in(app)
    assert phone.auto_answer_label.text() == "Auto-answer: when the server asks"
    settings.auto_answer.setCurrentIndex(settings.auto_answer.findData("always"))
    settings.auto_answer.activated.emit(settings.auto_answer.currentIndex())
    assert phone.auto_answer_label.text() == "Auto-answer: on"
    engine = app.fake_engines[0]  # type: ignore[attr-defined]
    assert [c[:2] for c in engine.calls if c[0] == "set_auto_answer"] == [
        ("set_auto_answer", "session")
    ]


def test_auto_answer_is_the_servers_until_the_user_chooses_and_again_after(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from softphone.core.models import SipAccountConfig
    from softphone.core.secret import Secret

    app = make_app()
    states: list[SessionState] = []
    app.bus.subscribe(SessionStateChanged, lambda e: states.append(e.state))
    app.start()
    # the session resumes once the engine is up (nothing saved: signed out) before the test's
    qtbot.waitUntil(lambda: states[-2:] == [SessionState.SIGNING_IN, SessionState.SIGNED_OUT])
    phone, settings = app.phone_view, app.settings_view
    assert phone is not None and settings is not None
    _signed_in(app)
    provisioned = SipAccountConfig(
        extension="100",
        password=Secret("x"),
        domain="pbx.test",
        auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS),
    )
    # the engine installs the account the server provisioned: its mode applies and is shown
    assert app._adapt_account(provisioned).auto_answer.mode is AutoAnswerMode.ALWAYS
    qtbot.waitUntil(lambda: phone.auto_answer_label.text() == "Auto-answer: on", timeout=WAIT)
    engine = app.fake_engines[0]  # type: ignore[attr-defined]

    def choose(data: str) -> None:
        settings.auto_answer.setCurrentIndex(settings.auto_answer.findData(data))
        settings.auto_answer.activated.emit(settings.auto_answer.currentIndex())

    choose("off")  # the user's own choice wins, on the engine, the page and later re-installs
    assert engine.calls[-1] == (
        "set_auto_answer",
        "session",
        str(AutoAnswerPolicy(AutoAnswerMode.OFF)),
    )
    assert phone.auto_answer_label.text() == "Auto-answer: off"
    assert app._adapt_account(provisioned).auto_answer.mode is AutoAnswerMode.OFF
    choose("server")  # and back to what the server says
    assert engine.calls[-1] == (
        "set_auto_answer",
        "session",
        str(AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
    )
    assert phone.auto_answer_label.text() == "Auto-answer: on"
    assert app.settings.auto_answer is None


def test_shortcuts_reach_the_dialpad_and_the_recents_search(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    _signed_in(app)
    keys = {a.text(): a.shortcut().toString() for a in app.window.go_menu.actions()}
    assert keys == {"Dial pad": "Ctrl+L", "Search recent calls": "Ctrl+F"}
    assert app.phone_view is not None and app.recents_view is not None
    app.window.show_page("Settings")
    next(a for a in app.window.go_menu.actions() if a.text() == "Search recent calls").trigger()
    assert app.window.tabs.currentWidget() is app.recents_view
    assert app.window.focusWidget() is app.recents_view.search
    next(a for a in app.window.go_menu.actions() if a.text() == "Dial pad").trigger()
    assert app.window.tabs.currentWidget() is app.phone_view
    assert app.window.focusWidget() is app.phone_view.number_field


def test_missed_calls_badge_the_tab_and_the_tray_and_call_back_dials_on_the_phone_page(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    _signed_in(app)
    recents = app.recents_view
    assert recents is not None and app.tray is not None
    recents.missedCountChanged.emit(2)
    index = app.window.tabs.indexOf(recents)
    assert app.window.tabs.tabText(index) == "Recents (2)"
    assert app.tray.missed == 2 and "2 missed" in app.tray.icon.toolTip()
    recents.missedCountChanged.emit(0)
    assert app.window.tabs.tabText(index) == "Recents"
    app.window.show_page("Recents")
    app._call_back("5551234")
    assert app.window.tabs.currentWidget() is app.phone_view
    engine = app.fake_engines[0]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: ("make_call", "session", "5551234") in engine.calls, timeout=WAIT)


def test_transport_info_and_audio_events_reach_the_settings_page(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from softphone.audio.device_events import AudioDeviceLost

    app = make_app()
    app.start()
    settings = app.settings_view
    assert settings is not None
    _signed_in(app)
    labels = settings.transport_labels
    qtbot.waitUntil(lambda: labels["local"].text() == "127.0.0.1:5070", timeout=WAIT)
    assert labels["transport"].text() == "UDP"
    with qtbot.waitSignal(settings.noticeChanged, timeout=WAIT):
        app.bridge.post_other(AudioDeviceLost(reason="unplugged"))
    assert "unplugged" in settings.notice.text()


def test_sip_trace_setting_attaches_the_trace_file(
    qtbot: QtBot, make_app: Callable[..., App], tmp_path: Path
) -> None:
    app = make_app(log_dir=tmp_path / "logs")
    app.start()
    settings = app.settings_view
    assert settings is not None and not app.trace.attached
    settings.sip_trace.setChecked(True)
    assert app.trace.attached and app.trace.path.parent == tmp_path / "logs"
    settings.sip_trace.setChecked(False)
    qtbot.waitUntil(lambda: not app.trace.attached, timeout=WAIT)


def test_a_sip_account_code_replaces_the_account_only_when_signed_in(
    make_app: Callable[..., App],
) -> None:
    from softphone.core.models import SipAccountConfig
    from softphone.core.secret import Secret

    app = make_app()
    app.start()
    code = SipAccountConfig(extension="7001", password=Secret("pw-7001"), domain="pbx.test")
    app.apply_sip_account(code)
    assert "Sign in first" in app.signin_view.message_text
    _signed_in(app)
    app._signed_in = True  # the session state published above
    app.apply_sip_account(code)
    assert app.engine.account is not None and app.engine.account.extension == "7001"
    provisioned = SipAccountConfig(extension="100", password=Secret("x"), domain="other.test")
    assert app._adapt_account(provisioned).extension == "7001"  # a re-install keeps the code's
    app.bus.publish(SessionStateChanged(state=SessionState.SIGNED_OUT))
    assert app._adapt_account(provisioned).extension == "100"  # forgotten at sign-out


# ---- the phone hidden to the tray during a call (issue 18) --------------------------------


def _answers(engine: FakeEngine) -> None:
    """The fake engine also answers and rejects, recording both."""

    def answer(call_id: str) -> Future[None]:
        engine.calls.append(("answer", call_id))
        return engine._done()

    def reject(call_id: str, code: int = 486) -> Future[None]:
        engine.calls.append(("reject", call_id, str(code)))
        return engine._done()

    engine.answer = answer  # type: ignore[attr-defined]
    engine.reject = reject  # type: ignore[attr-defined]


def _hidden_with_a_call_ringing(qtbot: QtBot, app: App, call_id: str) -> Any:
    app.start()
    _signed_in(app)
    _answers(app.fake_engines[0])  # type: ignore[attr-defined]
    app.window.show_page("Recents")
    app.window.close()  # to the tray
    assert not app.window.isVisible()
    app.bus.publish(_incoming(call_id))
    window = app.incoming_windows[call_id]
    qtbot.waitExposed(window)
    return window


def test_answering_from_the_popup_withdraws_the_tray_notice_and_show_opens_the_call(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from PySide6.QtCore import Qt

    app = make_app()
    tray = app.tray
    assert tray is not None
    tray._can_withdraw = True  # as on Windows and with Qt's own balloon
    shown: list[tuple[str, str]] = []
    tray.icon.showMessage = lambda title, text, *rest: shown.append((title, text))  # type: ignore[method-assign]
    window = _hidden_with_a_call_ringing(qtbot, app, "c1")
    assert tray.message == ("Incoming call", window.caller_text)
    assert shown[-1] == ("Incoming call", window.caller_text)
    qtbot.mouseClick(window.answer_button, Qt.MouseButton.LeftButton)
    assert tray.message is None and shown[-1] == ("", "")  # taken down at once
    engine = app.fake_engines[0]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: ("answer", "c1") in engine.calls, timeout=WAIT)
    app.bus.publish(_call_state("c1", ev.CallState.CONFIRMED))
    # the person opens the phone from the tray: the call is what they see
    tray.show_action.trigger()
    assert app.window.isVisible()
    assert app.window.tabs.currentWidget() is app.phone_view


def test_declining_withdraws_the_notice_and_without_a_call_the_last_tab_stays(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from PySide6.QtCore import Qt

    app = make_app()
    tray = app.tray
    assert tray is not None
    tray._can_withdraw = False  # a notification service keeps it: nothing blank is sent
    shown: list[tuple[str, str]] = []
    tray.icon.showMessage = lambda title, text, *rest: shown.append((title, text))  # type: ignore[method-assign]
    window = _hidden_with_a_call_ringing(qtbot, app, "c1")
    qtbot.mouseClick(window.decline_button, Qt.MouseButton.LeftButton)
    assert tray.message is None and ("", "") not in shown
    engine = app.fake_engines[0]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: ("reject", "c1", "603") in engine.calls, timeout=WAIT)
    app.bus.publish(_call_state("c1", ev.CallState.DISCONNECTED, sip_code=603))
    tray.show_action.trigger()
    assert app.window.tabs.currentWidget() is app.recents_view


def test_the_popups_keys_answer_and_decline_while_the_window_is_in_the_tray(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = make_app()
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    first = _hidden_with_a_call_ringing(qtbot, app, "c1")
    app.bus.publish(_incoming("c2"))
    second = app.incoming_windows["c2"]
    qtbot.waitExposed(second)
    engine = app.fake_engines[0]  # type: ignore[attr-defined]
    for window, key, expected in (
        (first, Qt.Key.Key_A, ("answer", "c1")),
        (second, Qt.Key.Key_D, ("reject", "c2", "603")),
    ):
        window.activateWindow()  # the person clicks the popup
        qtbot.waitUntil(lambda w=window: QApplication.activeWindow() is w, timeout=WAIT)
        qtbot.keyClick(window, key, keys)
        qtbot.waitUntil(lambda e=expected: e in engine.calls, timeout=WAIT)


def _call_state(call_id: str, state: ev.CallState, sip_code: int = 0) -> ev.CallStateChanged:
    return ev.CallStateChanged(
        call_id=call_id,
        account_id="session",
        state=state,
        direction=ev.Direction.INBOUND,
        remote_uri="sip:5551234@pbx",
        remote_number="5551234",
        remote_display="Ann Example",
        connected=state is ev.CallState.CONFIRMED,
        sip_code=sip_code,
    )


def test_a_call_without_a_microphone_warns_on_the_call_page(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from softphone.audio.device_events import AudioDevicesOpened

    app = make_app()  # the NullBackend: its stream has no microphone
    app.start()
    _signed_in(app)
    phone = app.phone_view
    assert phone is not None
    qtbot.waitUntil(lambda: app.audio.stream is not None, timeout=WAIT)  # the audio lane
    app.bus.publish(_incoming("c1"))
    app.bus.publish(_call_state("c1", ev.CallState.CONFIRMED))
    warning = phone.call_page.mic_warning
    # (on the page, whatever the window shows: the session may still be resuming)
    assert phone.stack.currentWidget() is phone.call_page and warning.isVisibleTo(phone)
    assert "the other party cannot hear you" in warning.text()
    # a microphone arrives (as the controller would report it): the warning goes
    app.audio._stream.input_device = object()  # type: ignore[union-attr]
    app.bridge.post_other(AudioDevicesOpened("mic", "Headset", None, None))
    qtbot.waitUntil(lambda: not warning.isVisibleTo(phone), timeout=WAIT)


# ---- who is signed in, and a call, whatever tab is open (issue 18) ------------------------


def _signed_in_through_the_form(qtbot: QtBot, app: App) -> list[tuple[str, str, str]]:
    """Start the app, let its resume find nothing, then sign in as agent2 of DEMO through the
    form; the session's steps (the control plane is a fake here) are published as it would.
    Returns what the form asked the session (company, username, password)."""
    from PySide6.QtCore import Qt

    from softphone.core.models import SipAccountConfig
    from softphone.core.secret import Secret

    states: list[SessionStateChanged] = []
    app.bus.subscribe(SessionStateChanged, states.append)
    app.start()
    qtbot.waitUntil(  # the resume at start found no saved session
        lambda: (
            any(s.reason is SessionReason.RESUMED for s in states)
            and states[-1].state is SessionState.SIGNED_OUT
        ),
        timeout=WAIT,
    )
    asked: list[tuple[str, str, str]] = []

    def sign_in(company: str, username: str, password: Secret, totp: str | None = None) -> bool:
        asked.append((company, username, password.reveal()))
        return True

    app.service.session.sign_in = sign_in  # type: ignore[method-assign]
    view = app.signin_view
    qtbot.keyClicks(view.company, "DEMO")
    qtbot.keyClicks(view.username, "agent2")
    qtbot.keyClicks(view.password, "agent-secret")
    qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    app.bus.publish(SessionStateChanged(state=SessionState.SIGNING_IN))
    account = SipAccountConfig(extension="1002", password=Secret("sip-secret"), domain="pbx.test")
    app.engine.add_account(account, "session")  # as the session installs the provisioned one
    _signed_in(app)
    return asked


def test_the_window_and_the_tray_say_who_is_signed_in_until_sign_out(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    window, tray = app.window, app.tray
    assert tray is not None
    assert window.windowTitle() == "VICIfast Desktop"  # signed out: just the product
    assert not window.identity_line.isVisible()
    assert _signed_in_through_the_form(qtbot, app) == [("DEMO", "agent2", "agent-secret")]
    assert window.identity_line.isVisible()
    assert window.identity_line.label.text() == "agent2 · ext 1002 · DEMO"
    assert window.windowTitle() == "VICIfast Desktop — agent2 (1002)"
    assert tray.icon.toolTip() == "VICIfast Desktop: registered\nagent2 · ext 1002 · DEMO"
    shown = [window.windowTitle(), window.identity_line.label.text(), tray.icon.toolTip()]
    assert not any("secret" in text for text in shown)  # never a password
    window.sign_out_action.trigger()  # Phone → Sign out (confirmed)
    qtbot.waitUntil(lambda: window.windowTitle() == "VICIfast Desktop", timeout=WAIT)
    assert not window.identity_line.isVisible() and window.identity_line.label.text() == ""
    assert "agent2" not in tray.icon.toolTip()


def test_a_resumed_session_shows_the_agent_from_the_keychain(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    session = app.service.session
    session.remembered_company, session.remembered_username = "ACME", "agent7"
    app.bus.publish(
        SessionStateChanged(state=SessionState.SIGNING_IN, reason=SessionReason.RESUMED)
    )
    _signed_in(app)
    assert app.window.identity_line.label.text() == "agent7 · ACME"  # no account added yet
    assert app.window.windowTitle() == "VICIfast Desktop — agent7"


def test_a_call_shows_in_the_title_the_phone_tab_and_the_tray_whatever_tab_is_open(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from dataclasses import replace

    from PySide6.QtCore import Qt

    from softphone.ui.tray import TrayStatus

    app = make_app()
    _signed_in_through_the_form(qtbot, app)
    window, tray = app.window, app.tray
    assert tray is not None and app.phone_view is not None
    bar = window.tabs.tabBar()
    recents = window.tabs.indexOf(app.recents_view)
    phone = window.tabs.indexOf(app.phone_view)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(recents).center())
    assert window.tabs.currentIndex() == recents
    assert bar.tabText(phone) == "Phone"
    app.bus.publish(_incoming("c1"))
    assert window.tabs.currentIndex() == phone  # a ringing call brings its page forward
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(recents).center())
    app.bus.publish(_call_state("c1", ev.CallState.INCOMING))
    assert window.windowTitle() == "● Incoming call — VICIfast Desktop — agent2 (1002)"
    assert bar.tabText(phone) == "Phone ●" and tray.status is TrayStatus.IN_CALL
    answered = ev.CallStateChanged(
        call_id="c1",
        account_id="session",
        state=ev.CallState.CONFIRMED,
        direction=ev.Direction.INBOUND,
        remote_uri="sip:5551234@pbx",
        remote_number="5551234",
        remote_display="Ann Example",
        connected=True,
        duration_s=132.2,
    )
    app.bus.publish(answered)
    assert window.windowTitle() == "● In call 02:12 — VICIfast Desktop — agent2 (1002)"
    assert bar.tabText(phone) == "Phone ● 02:12" and bar.tabToolTip(phone) == "In call 02:12"
    assert "in a call" in tray.icon.toolTip() and tray.status is TrayStatus.IN_CALL
    qtbot.waitUntil(lambda: "In call 02:13" in window.windowTitle(), timeout=WAIT)  # it ticks
    assert bar.tabText(phone) == "Phone ● 02:13"
    app.bus.publish(replace(answered, state=ev.CallState.DISCONNECTED))  # hung up
    assert window.windowTitle() == "VICIfast Desktop — agent2 (1002)"
    assert bar.tabText(phone) == "Phone" and tray.status is TrayStatus.REGISTERED
    assert window.tabs.currentIndex() == recents  # the sign did not take the tab back


# ---- bringing the window to the front when a call rings (issue 18) ------------------------


def _tick(qtbot: QtBot, box: Any) -> None:
    """A click on the check box's square, where a person clicks."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QStyle, QStyleOptionButton

    option = QStyleOptionButton()
    box.initStyleOption(option)
    square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=square.center())


def test_with_bring_to_front_on_a_ring_raises_the_window_from_the_tray_on_the_phone_page(
    qtbot: QtBot, make_app: Callable[..., App], tmp_path: Path
) -> None:
    (tmp_path / "settings.json").write_text('{"bring_to_front_on_ring": true}')
    app = make_app()
    popup = _hidden_with_a_call_ringing(qtbot, app, "c1")
    assert app.window.isVisible() and not app.window.isMinimized()
    assert app.window.tabs.currentWidget() is app.phone_view
    assert popup.isVisible()  # the call's own window as well


def test_without_bring_to_front_a_ring_leaves_the_window_in_the_tray(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    popup = _hidden_with_a_call_ringing(qtbot, app, "c1")
    assert popup.isVisible() and not app.window.isVisible()
    assert app.window.tabs.currentWidget() is app.recents_view  # nothing moved the page


def test_ticking_bring_to_front_in_settings_applies_to_the_next_ring_and_unticking_stops_it(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    _signed_in(app)
    settings = app.settings_view
    assert settings is not None and not settings.bring_to_front.isChecked()
    app.window.show_page("Settings")
    qtbot.waitExposed(app.window)
    _tick(qtbot, settings.bring_to_front)
    assert settings.bring_to_front.isChecked()
    app.window.close()  # to the tray
    assert not app.window.isVisible()
    app.bus.publish(_incoming("c1"))
    assert app.window.isVisible() and app.window.tabs.currentWidget() is app.phone_view
    app.bus.publish(_call_state("c1", ev.CallState.DISCONNECTED, sip_code=487))  # gave up

    app.window.show_page("Settings")
    _tick(qtbot, settings.bring_to_front)
    assert not settings.bring_to_front.isChecked()
    app.window.close()
    app.bus.publish(_incoming("c2"))
    qtbot.waitExposed(app.incoming_windows["c2"])
    assert not app.window.isVisible()


def test_a_call_that_rings_or_is_answered_at_once_brings_the_phone_page_forward(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    _signed_in(app)
    app.window.show_page("Recents")
    assert app.window.tabs.currentWidget() is app.recents_view
    app.bus.publish(_incoming("c1", auto_in=0.0))  # VICIdial pulls the agent in: no popup
    assert app.window.tabs.currentWidget() is app.phone_view
    app.window.show_page("Settings")
    app.bus.publish(_incoming("c2"))
    assert app.window.tabs.currentWidget() is app.phone_view
    app.window.hide()  # in the tray: the page waits (bring to front is a setting of its own)
    app.window.show_page("Recents")
    app.bus.publish(_incoming("c3"))
    assert app.window.tabs.currentWidget() is app.recents_view


def test_enter_at_the_sign_out_question_keeps_the_sign_in_and_history(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = make_app(confirm=None)  # the real question box
    app.start()
    _signed_in(app)
    signed_out: list[bool] = []
    app.service.session.sign_out = lambda: signed_out.append(True)  # type: ignore[method-assign]
    seen: list[QMessageBox.StandardButton] = []

    def press_enter() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press_enter)  # not up yet
            return
        seen.append(box.standardButton(box.defaultButton()))
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, press_enter)
    app.sign_out()
    assert seen == [QMessageBox.StandardButton.No] and signed_out == []
