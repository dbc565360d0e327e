"""The composition root of the desktop app: builds the bridge, bus, engine, audio, history,
sign-in, windows and tray, wires them together, and runs Qt. Nothing else lives here.

``run()`` is what ``vicifast-phone`` (no command) and ``vicifast-phone --demo`` call.

Nothing that can block runs on the GUI thread: the engine starts on a thread of its own (the
window is up meanwhile; resuming the session waits for it), sound-device work runs on the audio
lane, and quitting hides the window at once and stops the rest in the background within
``AppOptions.quit_timeout_s``, after which ``run`` ends the process even if something hangs.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from softphone.audio.backend import AudioBackend, default_backend
from softphone.audio.controller import AudioController
from softphone.audio.errors import AudioError
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.links import dial_target, is_link
from softphone.core.models import AutoAnswerPolicy, EngineConfig, SipAccountConfig
from softphone.core.secret import MemorySecretStore, SecretStore
from softphone.core.session import ACCOUNT_ID, KEY_PASSWORD, KEY_SIP, Outcome
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.desktop.deployment import DeploymentDefaults, initial_control_plane, load_defaults
from softphone.desktop.link_handler import DESKTOP_ID
from softphone.signin.netwatch import NetWatch
from softphone.signin.service import WILDCARD, RebindingEngine, SignInConfig, SignInService
from softphone.sip.engine import SipEngine
from softphone.storage.history import HistoryRecorder, HistoryWriter
from softphone.storage.settings import AppSettings, SoundSystem
from softphone.ui.bridge import QtBridge
from softphone.ui.command_runner import log_failure
from softphone.ui.diagnostics import Diagnostics, TraceLog
from softphone.ui.engine_phone import EnginePhone
from softphone.ui.history_model import HistoryModel
from softphone.ui.i18n import install_translator
from softphone.ui.icons import app_icon
from softphone.ui.incoming_call import IncomingCallWindow
from softphone.ui.main_window import SIGNED_IN, MainWindow, PageFactory, optional_page
from softphone.ui.phone_view import PhoneView
from softphone.ui.quit_signal import QuitOnSignal
from softphone.ui.recents_view import RecentsView
from softphone.ui.settings_view import SettingsView
from softphone.ui.signin_controller import SignInController
from softphone.ui.signin_view import SignInView
from softphone.ui.single_instance import InstanceServer, instance_name, send_to_running
from softphone.ui.tray import Tray

if TYPE_CHECKING:
    from softphone.demo.environment import DemoEnvironment

HOST = "127.0.0.1"

_log = logging.getLogger(__name__)
T = TypeVar("T")
EngineFactory = Callable[..., SipEngine]
AccountAdapter = Callable[[SipAccountConfig], SipAccountConfig]
FOCUS_DIALPAD_KEY = "Ctrl+L"
SEARCH_RECENTS_KEY = "Ctrl+F"
RING_ME_KEY = "Ctrl+Shift+G"
QUIT_TIMEOUT_S = 10.0  # quitting's whole bound: then the process ends, whatever still hangs
EXIT_STUCK = 1  # the exit status when something had to be left hanging
EXIT_GRACE_S = 1.0  # the interpreter's own exit gets at least this after a clean quit


def _qt_audio_backend() -> AudioBackend:
    from softphone.ui.qt_audio_backend import QtAudioBackend  # loads Qt Multimedia when chosen

    return QtAudioBackend()


def dialpad_hint() -> str:
    """The number field's placeholder, with the key that focuses it."""
    text = QCoreApplication.translate("App", "Number or SIP address ({key})")
    return text.format(key=FOCUS_DIALPAD_KEY)


@dataclass(slots=True)
class AppOptions:
    """Where the app keeps things and what it talks to (tests and ``--demo`` change these)."""

    data_dir: Path
    settings_path: Path
    store: SecretStore
    device_id: str
    signin: SignInConfig  # the control plane when the form's Advanced part is not used
    instance: str
    engine_config: EngineConfig = field(default_factory=EngineConfig)
    engine_factory: EngineFactory = SipEngine
    audio_backend: Callable[[], AudioBackend] = default_backend
    qt_audio_backend: Callable[[], AudioBackend] = _qt_audio_backend  # Settings' "Qt Multimedia"
    tray: bool | None = None  # None: when the desktop has a tray
    persist_control_plane: bool = True  # not in demo mode: the emulator is not a choice
    demo_login: tuple[str, str, str] | None = None  # company, username, password
    confirm: Callable[[QWidget, str], bool] | None = None  # default: a Yes/No box
    log_dir: Path | None = None  # the SIP trace and diagnostics; None: the platformdirs log dir
    adapt_account: AccountAdapter | None = None  # demo without kamailio: no REGISTER
    demo_env: DemoEnvironment | None = None  # --demo: the lines that can ring the agent
    # what IT preset for the sign-in form (vicifast-phone.ini); what the person saved wins
    deployment: DeploymentDefaults = field(default_factory=DeploymentDefaults)
    quit_timeout_s: float = QUIT_TIMEOUT_S


class AppEngine(RebindingEngine):
    """The session's engine; every account it adds goes through ``adapt`` first (the user's
    auto-answer choice, a SIP account from a QR code, demo mode's direct calls). ``account``
    is the last one added (for the transport information)."""

    def __init__(self, *args: Any, adapt: AccountAdapter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._adapt = adapt
        self.account: SipAccountConfig | None = None

    def add_account(self, config: SipAccountConfig, account_id: str | None = None) -> Any:
        adapted = self._adapt(config)
        self.account = adapted
        return super().add_account(adapted, account_id)


def _ask(parent: QWidget, text: str) -> bool:
    title = QCoreApplication.translate("App", "VICIfast Phone")
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class App(QObject):
    """The running app; lives on the GUI thread. ``finished`` is emitted once :meth:`quit` has
    stopped everything, or its bound ran out (``stopped_cleanly`` says which; ``run`` ends the
    event loop on it)."""

    finished = Signal()

    def __init__(self, options: AppOptions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.options = options
        self._confirm = options.confirm or _ask
        self._quitting = False
        self.quit_deadline = 0.0  # time.monotonic() by which quitting ends, once it began
        self.stopped_cleanly: bool | None = None  # set when ``finished`` is emitted
        self._engine_starting = False  # start() began the engine's start
        self._engine_up = threading.Event()  # the engine's start returned (or failed)
        self._engine_events_in = threading.Event()  # at quit: the stopped engine's last events
        self._quit_timer: QTimer | None = None
        self._registered = False
        self._pending_dial = ""
        self._signed_in = False
        self._qr_account: SipAccountConfig | None = None
        # what the server provisioned the last account added with (set on the engine's worker
        # thread, an immutable value); Settings' "as your company's server sets it" applies it
        self._provisioned_auto_answer = AutoAnswerPolicy()
        self.incoming_windows: dict[str, IncomingCallWindow] = {}
        self.settings = AppSettings.load(options.settings_path)
        self.trace = TraceLog(options.log_dir)
        engine_config = self._with_settings(options.engine_config)
        if self.settings.sip_trace:
            self.trace.attach()
        self.bus = EventBus()
        self.bridge = QtBridge(self.bus, self)
        rings = AudioRings.create()
        self.audio_backend = self._make_audio_backend()
        self.audio = AudioController(self.audio_backend, rings, self.bridge.post_other)
        # the controller's blocking calls (PortAudio re-scans, opens), one at a time, in order
        self.audio_ops = self.bridge.lane("audio-ops")
        self._engine_settings = self.settings  # what the engine is made with
        self.engine = AppEngine(
            self.bridge.post,
            engine_config,
            rings,
            factory=self._make_engine,
            adapt=self._adapt_account,
        )
        self.history = HistoryWriter(options.data_dir, options.store)
        self.recorder = HistoryRecorder(self.history.record)
        self.recorder.attach(self.bus.subscribe)
        self.history_model = HistoryModel(self.history.start(), parent=self)
        self.service = self._make_service(options.signin)
        self.bus.subscribe(ev.Event, self._to_session)
        self.bus.subscribe(ev.RegistrationChanged, self._on_registration)
        self.bus.subscribe(SessionStateChanged, self._on_session)
        self.bus.subscribe(ev.IncomingCall, self._on_incoming)
        self.phone = EnginePhone(lambda: self.engine.current)

        self.signin_view = SignInView(
            self.bus, confirm=lambda text: self._confirm(self.window, text)
        )
        self.signin_view.set_control_plane(
            *initial_control_plane(
                self.settings.custom_control_plane,
                self.settings.ca_file,
                options.deployment,
                options.signin.control_plane,
            )
        )
        self.signin = SignInController(
            self.signin_view,
            self.bus,
            self._session_for,
            lambda: self.service.session,
            self,
            default_company=options.deployment.company_code,
        )
        self.signin_view.scanRequested.connect(self._scan)
        self.window = MainWindow(self.bus, self.signin_view, self._pages())
        self.window.signOutRequested.connect(self.sign_out)
        self.window.quitRequested.connect(self.quit)
        self.window.hiddenToTray.connect(self._hidden_to_tray)
        self.window.tabs.currentChanged.connect(self._tab_changed)

        use_tray = Tray.available() if options.tray is None else options.tray
        # the incoming-call window sends the incoming-call notification itself
        self.tray = Tray(self.bus, self, notify_incoming=False) if use_tray else None
        if self.tray is not None:
            self.window.hide_on_close = True
            self.tray.showRequested.connect(self.show_window)
            self.tray.signOutRequested.connect(self.sign_out)
            self.tray.quitRequested.connect(self.quit)
        self.phone_view = _typed(self.window.page("Phone"), PhoneView)
        self.recents_view = _typed(self.window.page("Recents"), RecentsView)
        self.settings_view = _typed(self.window.page("Settings"), SettingsView)
        if (settings_view := self.settings_view) is not None:
            self.bus.subscribe(
                ev.UntrustedRequestsRefused,
                lambda e: settings_view.show_refused(e.count, e.sources),
            )
            self.bus.subscribe(ev.Capabilities, settings_view.set_capabilities)
        self._wire_pages()
        self.instance_server = InstanceServer(options.instance, self)
        self.instance_server.received.connect(self.handle_argv)
        self._net_timer: QTimer | None = None
        self.net_watch: NetWatch | None = None

    # ---- start and stop ------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for later starts and show the window; the engine starts on a thread of its
        own and the devices open on the audio lane. Once the engine is up the session resumes
        (or demo mode signs in): :meth:`_engine_started`."""
        self.instance_server.listen()
        self._engine_starting = True
        self.bridge.run_in_thread("engine-start", self._start_engine, self._engine_started)
        self.audio_ops(self._open_audio, lambda _outcome: None)
        self._watch_network()
        if self.tray is not None:
            self.tray.show()
        # minimised to the tray only when there is one: never no way in
        if not (self.settings.start_minimised and self.tray is not None):
            self.window.show()

    def _start_engine(self) -> None:
        # the engine-start thread: SipEngine.start waits (up to 10 s) for pjsua2 to come up
        try:
            self.engine.start()
        finally:
            self._engine_up.set()

    def _engine_started(self, outcome: Outcome[None]) -> None:
        if self._quitting:
            return
        if outcome.error is not None:
            _log.error("the SIP engine did not start: %s", outcome.error)
            self.signin_view.show_message(str(outcome.error))
            return
        self._catch_up_sound()
        login = self.options.demo_login
        if login is None:
            self.service.session.resume()
            return
        company, username, password = login
        view = self.signin_view
        view.company.setText(company)
        view.username.setText(username)
        view.password.setText(password)
        view.submit()

    def _catch_up_sound(self) -> None:
        """Volumes or a ringtone changed while the engine started reach it now (it refused
        them then; it was made with the settings of that moment)."""
        made, now = self._engine_settings, self.settings
        if now.levels() != made.levels():
            self.phone.set_levels(*now.levels()).add_done_callback(log_failure("set_levels"))
        if now.ringtone is not made.ringtone:
            self.phone.set_ringtone(now.ringtone).add_done_callback(log_failure("set_ringtone"))

    def _open_audio(self) -> None:
        # the audio lane
        s = self.settings
        try:
            self.audio.open(s.input_device_id, s.output_device_id)
        except AudioError as err:  # calls still connect; the Settings page shows the devices
            _log.warning("no sound device opened: %s", err)
        if s.ringer_device_id is not None:
            try:
                self.audio.set_ringer(s.ringer_device_id)
            except AudioError as err:  # the ringtone plays on the speaker instead
                _log.warning("the ringer device did not open: %s", err)

    def _make_audio_backend(self) -> AudioBackend:
        """Settings' sound system (read at start); Qt Multimedia falls back to the default."""
        if self.settings.sound_system is SoundSystem.QT:
            try:
                return self.options.qt_audio_backend()
            except AudioError as err:
                _log.warning("Qt Multimedia is not available (%s); using PortAudio", err)
        return self.options.audio_backend()

    def quit(self) -> None:
        """Hide at once, then stop everything in the background: the engine (hang up,
        unregister, destroy pjsua2) on one thread; the sound devices, the sign-in clients and
        the history (its pending writes flushed first, then the engine's last events) on
        another. ``finished`` follows when both are done, or when ``options.quit_timeout_s``
        has run out (``stopped_cleanly`` False: ``run`` then ends the process)."""
        if self._quitting:
            return
        self._quitting = True
        self.quit_deadline = time.monotonic() + self.options.quit_timeout_s
        self.instance_server.close()
        self.window.hide_on_close = False
        self.window.hide()
        if self.tray is not None:
            self.tray.hide()
        if self._net_timer is not None:
            self._net_timer.stop()
        for window in list(self.incoming_windows.values()):
            window.close()
        # here: the session's timers are the GUI thread's; from now on nothing it still has
        # running changes its state (its HTTP clients are closed on the quit thread)
        self.service.session.close()
        self.history_model.close()
        self.audio_ops.close()  # device changes not started yet are dropped
        timer = self._quit_timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(self._quit_timed_out)
        timer.start(max(0, round(self.options.quit_timeout_s * 1000)))
        self.bridge.run_in_thread("quit-engine", self._stop_engine, self._engine_stopped)
        self.bridge.run_in_thread("quit", self._stop_the_rest, self._rest_stopped)

    def _left_s(self) -> float:
        return max(0.0, self.quit_deadline - time.monotonic())

    def _stop_engine(self) -> None:
        # the quit-engine thread: a start still under way is let finish, then stopped
        if self._engine_starting:
            self._engine_up.wait(self._left_s())
        self.engine.stop()

    def _engine_stopped(self, outcome: Outcome[None]) -> None:
        # The GUI thread, after every event the engine emitted while stopping (its calls'
        # ends among them) was published: the recorder has queued them for the history.
        if outcome.error is not None:
            _log.error("stopping the SIP engine failed: %s", outcome.error)
        self.trace.detach()
        self._engine_events_in.set()

    def _stop_the_rest(self) -> bool:
        """The quit thread; True if everything ended in time."""
        # what the history has queued is written whatever the engine does meanwhile
        flushed = self._flush_history()
        try:
            self.audio.close()
            self.audio_backend.shutdown()  # e.g. Qt Multimedia's own thread
        except Exception:
            _log.exception("closing the sound devices failed")
        self.service.close()  # before the history stops: a sign-out's wipe writes to it
        engine_done = self._engine_events_in.wait(self._left_s())
        flushed = self._flush_history() and flushed
        self.history.stop(timeout=self._left_s())
        return engine_done and flushed

    def _flush_history(self) -> bool:
        """Wait (bounded) until every history job queued so far has run."""
        try:
            self.history.submit(lambda _store: None).result(self._left_s())
        except TimeoutError:
            _log.error("the call history did not finish writing in time")
            return False
        except Exception:  # an unreadable or closed history: nothing was waiting to be written
            return True
        return True

    def _rest_stopped(self, outcome: Outcome[bool]) -> None:
        if outcome.error is not None:
            _log.error("quitting failed: %r", outcome.error)
        self._finish(outcome.value is True)

    def _quit_timed_out(self) -> None:
        hanging = [t.name for t in threading.enumerate() if t.name.startswith("quit")]
        _log.error(
            "quitting did not finish within %.0f s (still running: %s)",
            self.options.quit_timeout_s,
            ", ".join(hanging) or "nothing",
        )
        self._finish(False)

    def _finish(self, clean: bool) -> None:
        if self.stopped_cleanly is not None:
            return
        self.stopped_cleanly = clean
        if self._quit_timer is not None:
            self._quit_timer.stop()
        self.bridge.close(wait=False)
        self.finished.emit()

    # ---- sign-in -------------------------------------------------------------------------------

    def _make_service(self, config: SignInConfig) -> SignInService:
        return SignInService(
            config,
            engine=self.engine,
            store=self.options.store,
            device_id=self.options.device_id,
            emit=self.bus.publish,
            post=self.bridge.post_call,
            scheduler=self.bridge,
            clear_history=self.history.erase,  # both raise NotDeleted: what is left, where
            clear_trace=self.trace.erase,
        )

    def _session_for(self, control_plane: str, ca_file: str) -> Any:
        base = self.options.signin
        config = SignInConfig(
            control_plane=control_plane or base.control_plane,
            ca_file=(ca_file or None) if control_plane else base.ca_file,
            bind_address=base.bind_address,
        )
        current = self.service
        if config != current.config and current.session.state is SessionState.SIGNED_OUT:
            self.service = self._make_service(config)  # raises for a refused address or CA
            current.close()
        return self.service.session

    def _to_session(self, event: ev.Event) -> None:
        self.service.on_engine_event(event)

    def sign_out(self) -> None:
        if self._confirm(
            self.window, self.tr("Sign out? Your saved sign-in and call history are deleted.")
        ):
            self.service.session.sign_out()
            self.show_window()

    def _on_session(self, event: SessionStateChanged) -> None:
        if event.state is SessionState.REGISTERING and self.options.persist_control_plane:
            self._remember_control_plane()
        was_signed_in, self._signed_in = self._signed_in, event.state in SIGNED_IN
        if self._signed_in and not was_signed_in:
            # after a wipe the history is closed: a new database under a new key (else nothing)
            self.history.reopen().add_done_callback(log_failure("reopening the call history"))
        if event.state is SessionState.SIGNED_OUT:
            self._registered = False
            self._qr_account = None  # never kept past a sign-out
        direct = self.options.adapt_account is not None and event.state in SIGNED_IN
        if direct:  # demo without a registrar: calls go straight to the lines, unregistered
            self._registered = True
            self.window.status.unregistered_text = self.tr(
                "Demo: calls go straight to the demo lines"
            )
        if was_signed_in != self._signed_in:
            self._show_auto_answer()

    def _auto_answer(self, settings: AppSettings | None = None) -> AutoAnswerPolicy:
        """What applies to the account: the user's choice, or what the server provisioned."""
        return (settings or self.settings).auto_answer_policy(self._provisioned_auto_answer)

    def _show_auto_answer(self) -> None:
        if self.phone_view is not None:
            self.phone_view.set_auto_answer(self._auto_answer() if self._signed_in else None)

    def _remember_control_plane(self) -> None:
        config, default = self.service.config, self.options.signin
        custom = config.control_plane if config.control_plane != default.control_plane else ""
        ca = (config.ca_file or "") if custom else ""
        if (custom, ca) == (self.settings.custom_control_plane, self.settings.ca_file):
            return
        self._update_settings(custom_control_plane=custom, ca_file=ca)

    def _update_settings(self, **changes: Any) -> None:
        # Re-read first: the Settings page saves the same file.
        try:
            self.settings = AppSettings.load(self.options.settings_path).with_(**changes)
            self.settings.save(self.options.settings_path)
        except (OSError, ValueError) as err:
            _log.warning("could not save the settings: %s", err)

    def _watch_network(self) -> None:
        """With the wildcard bind, re-auth when the route to the control plane changes."""
        from softphone.signin.netwatch import local_address_towards

        if self.service.bind_address not in WILDCARD:
            return
        url = httpx.URL(self.service.config.control_plane)
        host, port = url.host, url.port or 443
        # the DNS lookup and route probe run on the pool (a dead resolver blocks for seconds,
        # exactly when the network changes); the first result is the baseline
        watch = NetWatch(
            lambda: local_address_towards(host, port),
            lambda _old, _new: self.service.on_ip_changed(),
            probe_now=False,
        )
        self.net_watch = watch
        watch.check_in(self.bridge.run_in_pool)
        self._net_timer = QTimer(self)
        self._net_timer.setInterval(int(watch.interval_s * 1000))
        self._net_timer.timeout.connect(lambda: watch.check_in(self.bridge.run_in_pool))
        self._net_timer.start()

    def _scan(self) -> None:
        """The scan dialog (it confirms the code itself): a sign-in code fills the form; a SIP
        account code replaces the signed-in session's account (see :meth:`apply_sip_account`)."""
        from softphone.ui.qr_scan_dialog import QrScanDialog

        view = self.signin_view
        custom = view.custom_plane.isChecked() or bool(self.settings.custom_control_plane)
        dialog = QrScanDialog(self.window, allow_custom_control_planes=custom)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.signInCodeAccepted.connect(self._apply_signin_code)
        dialog.sipAccountAccepted.connect(self.apply_sip_account)
        self.scan_dialog = dialog
        dialog.open()

    def _apply_signin_code(self, code: Any) -> None:
        if self._signed_in:
            self._inform(self.tr("You are signed in. Sign out first to sign in with another code."))
            return
        self.signin_view.apply_signin_code(code.company, code.username, code.api)

    def apply_sip_account(self, config: SipAccountConfig) -> None:
        """A confirmed SIP account code: it takes the place of the provisioned account until
        sign-out or quit (it is never saved). The session keeps its sign-in and firewall lease;
        any later re-install of the account (server change, IP move) goes through
        :meth:`_adapt_account`, which keeps the code's account. Signed out there is no session
        to attach it to, so the person is told to sign in first."""
        if not self._signed_in:
            self.signin_view.show_message(
                self.tr(
                    "Sign in first. A SIP account from a QR code replaces the one your sign-in "
                    "provides, until you sign out or quit."
                ),
                "info",
            )
            return
        self._qr_account = config
        self.engine.remove_account(ACCOUNT_ID).add_done_callback(log_failure("remove"))
        self.engine.add_account(config, ACCOUNT_ID).add_done_callback(log_failure("add"))
        self._inform(
            self.tr("Using the SIP account {extension} at {domain}.").format(
                extension=config.extension, domain=config.domain
            )
        )

    def _with_settings(self, config: EngineConfig) -> EngineConfig:
        """``config`` with the Settings page's sound choices and SIP trace."""
        speaker, mic = self.settings.levels()
        return replace(
            config,
            speaker_level=speaker,
            mic_level=mic,
            ringtone=self.settings.ringtone,
            sip_trace=self.settings.sip_trace or self.options.engine_config.sip_trace,
        )

    def _make_engine(self, emit: Any, config: EngineConfig, audio: Any) -> SipEngine:
        # The first engine, and each one a move to another local address starts (on the
        # engine's worker thread): every one starts with the settings as they are then.
        return self.options.engine_factory(emit, self._with_settings(config), audio)

    def _adapt_account(self, config: SipAccountConfig) -> SipAccountConfig:
        # the engine's worker thread: reads only immutable values
        chosen = self._qr_account or config
        if self.options.adapt_account is not None:
            chosen = self.options.adapt_account(chosen)
        self._provisioned_auto_answer = chosen.auto_answer
        self.bridge.post_call(self._show_auto_answer)
        return replace(
            chosen,
            auto_answer=self._auto_answer(),
            accept_direct_calls=self.settings.accept_direct_calls,
        )

    def _inform(self, text: str) -> None:
        title = self.tr("VICIfast Phone")
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_notice = text
        box.open()

    # ---- pages ---------------------------------------------------------------------------------

    def _wire_pages(self) -> None:
        window = self.window
        phone, recents, settings = self.phone_view, self.recents_view, self.settings_view
        if phone is not None:
            window.add_go_action(self.tr("Dial pad"), FOCUS_DIALPAD_KEY, self.focus_dialpad)
            phone.number_field.setPlaceholderText(dialpad_hint())  # the key, where it is used
        if recents is not None:
            recents.find_shortcut.setEnabled(False)  # the window's Ctrl+F works from any tab
            window.add_go_action(
                self.tr("Search recent calls"), SEARCH_RECENTS_KEY, self.search_recents
            )
            recents.missedCountChanged.connect(self._on_missed)
        if settings is not None:
            settings.settingsChanged.connect(self._on_settings_changed)
            settings.scanQrRequested.connect(self._scan)
            self.bridge.other.connect(settings.on_audio_event)
        env = self.options.demo_env
        if env is not None:
            ring_me = self.tr("Ring me like VICIdial")
            window.add_go_action(ring_me, RING_ME_KEY, self.ring_me)
            if self.tray is not None:
                self.tray.add_action(ring_me, self.ring_me)

    def focus_dialpad(self) -> None:
        if self.phone_view is not None and self.window.signed_in_view:
            self.window.show_page("Phone")
            self.phone_view.focus_number_field()

    def search_recents(self) -> None:
        if self.recents_view is not None and self.window.signed_in_view:
            self.window.show_page("Recents")
            self.recents_view.focus_search()

    def _on_missed(self, count: int) -> None:
        self.window.set_badge("Recents", count)
        if self.tray is not None:
            self.tray.set_missed(count)

    def _on_settings_changed(self, settings: AppSettings) -> None:
        before, self.settings = self.settings, settings
        policy = self._auto_answer(settings)
        if policy != self._auto_answer(before) and self._signed_in:
            if self.phone_view is not None:
                self.phone_view.set_auto_answer(policy)
            future = self.engine.current.set_auto_answer(ACCOUNT_ID, policy)
            future.add_done_callback(log_failure("set_auto_answer"))
        if settings.accept_direct_calls != before.accept_direct_calls and self._signed_in:
            direct = self.engine.current.set_direct_calls(ACCOUNT_ID, settings.accept_direct_calls)
            direct.add_done_callback(log_failure("set_direct_calls"))
        if settings.sip_trace != before.sip_trace:
            # the file first, then the engine: the first traced message has a place to go
            if settings.sip_trace:
                self.trace.attach()
            switched = self.engine.current.set_sip_trace(settings.sip_trace)
            switched.add_done_callback(log_failure("set_sip_trace"))
            switched.add_done_callback(lambda f: self.bridge.post_call(lambda: self._traced(f)))
        if settings.custom_control_plane != before.custom_control_plane:
            self.signin_view.set_control_plane(
                bool(settings.custom_control_plane),
                settings.custom_control_plane,
                settings.ca_file,
            )

    def _traced(self, switched: Future[bool]) -> None:
        if switched.cancelled() or switched.exception() is not None:
            return
        if not self.settings.sip_trace:
            # the engine has stopped tracing (unless it was turned on again meanwhile)
            self.trace.detach()
        elif switched.result() is False and self.settings_view is not None:
            self.settings_view.export_status.setText(
                self.tr("The SIP trace starts with the next start of VICIfast Phone.")
            )

    def _diagnostic_secrets(self) -> list[str]:
        """Values the diagnostics zip must not contain (read on the export's worker thread)."""
        found: list[str] = []
        for key in (KEY_PASSWORD, KEY_SIP):
            try:
                value = self.options.store.get(key)
            except Exception as err:  # locked keychain: the zip's own scrubbing still applies
                _log.warning("the keychain could not be read for the diagnostics: %s", err)
                continue
            if value is None:
                continue
            text = value.reveal()
            found.append(text)
            if key == KEY_SIP:
                found.extend(_json_passwords(text))
        return found

    # ---- calls ---------------------------------------------------------------------------------

    def _on_incoming(self, event: ev.IncomingCall) -> None:
        if event.auto_answer_in_s is not None and event.auto_answer_in_s <= 0:
            return  # answered at once: the phone page shows it, nobody needs alerting
        tray = self.tray
        window = IncomingCallWindow(
            self.phone,
            self.bus,
            event,
            notify=tray.notify if tray is not None else None,
            answer=self.phone_view.answer_call if self.phone_view is not None else None,
        )
        self.incoming_windows[event.call_id] = window
        window.destroyed.connect(lambda *_: self.incoming_windows.pop(event.call_id, None))
        window.present()

    def ring_me(self) -> None:
        """Demo mode: the tone line calls this phone with an auto-answer request."""
        env = self.options.demo_env
        if env is None:
            return

        def got(future: Any) -> None:  # the SIP thread
            if future.cancelled() or future.exception() is not None:
                _log.warning("the engine's address is unknown: %s", future.exception())
                return
            hostport = future.result().transports.get("udp", "")
            self.bridge.post_call(lambda: self._ring(env, hostport))

        self.engine.current.snapshot().add_done_callback(got)

    def _ring(self, env: DemoEnvironment, hostport: str) -> None:
        from softphone.demo.environment import DemoError

        try:
            env.ring_agent(env.agent_uri(hostport))
        except DemoError as err:
            self._inform(str(err))

    # ---- windows and tray ----------------------------------------------------------------------

    def _pages(self) -> Sequence[tuple[str, PageFactory]]:
        return (
            ("Phone", optional_page("phone_view", lambda m: m.PhoneView(self.phone, self.bus))),
            (
                "Recents",
                optional_page(
                    "recents_view",
                    lambda m: m.RecentsView(self.history_model, self._call_back),
                ),
            ),
            (
                "Settings",
                optional_page(
                    "settings_view",
                    lambda m: m.SettingsView(
                        self.audio,
                        self.settings,
                        sound=self.phone,
                        audio_ops=self.audio_ops,
                        settings_path=self.options.settings_path,
                        diagnostics=Diagnostics(
                            self.options.log_dir, secrets=self._diagnostic_secrets
                        ),
                    ),
                ),
            ),
            (
                "Provisioning",
                optional_page("provisioning_view", lambda m: m.ProvisioningView()),
            ),
        )

    def show_window(self) -> None:
        self.window.bring_up()
        if self.tray is not None:
            self.tray.clear_missed()

    def _tab_changed(self, index: int) -> None:
        page = self.window.tabs.widget(index)
        if page is self.window.page("Recents") and self.tray is not None:
            self.tray.clear_missed()

    def _hidden_to_tray(self) -> None:
        if self.tray is None or self.settings.close_to_tray_notice_shown:
            return
        self.tray.notify_still_running()
        self._update_settings(close_to_tray_notice_shown=True)

    # ---- dialling links ------------------------------------------------------------------------

    def handle_argv(self, argv: list[str]) -> None:
        """A later start's command line (or this one's): show the window, offer to dial links."""
        self.show_window()
        for arg in argv:
            target = dial_target(arg) if is_link(arg) else None
            if target and self._confirm(
                self.window, self.tr("Call {target}?").format(target=target)
            ):
                self._dial(target)

    def _call_back(self, number: str) -> None:
        self._dial(number)

    def _dial(self, target: str) -> None:
        if not self._registered:
            self._pending_dial = target  # dialled once registered
            message = self.tr("Sign in to call {target}.").format(target=target)
            self.signin_view.show_message(message, "info")
            return
        self.window.show_page("Phone")
        if self.phone_view is not None:
            self.phone_view.dial(target)  # its errors are shown on the phone page
        else:
            self.phone.make_call(target).add_done_callback(log_failure("make_call"))

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if event.account_id != ACCOUNT_ID:
            return
        self._registered = event.state is ev.RegistrationState.REGISTERED
        if self._registered:
            self._show_transport(event.transport)
        if self._registered and self._pending_dial:
            target, self._pending_dial = self._pending_dial, ""
            self._dial(target)

    def _show_transport(self, transport: str) -> None:
        view, account = self.settings_view, self.engine.account
        if view is None:
            return
        server = ""
        if account is not None:
            host = account.proxy or account.domain
            server = f"{host}:{account.port}" if account.port else host
            transport = transport or account.transport.value
        name = transport.lower()

        def got(future: Any) -> None:  # the SIP thread
            if future.cancelled() or future.exception() is not None:
                return
            local = future.result().transports.get(name, "")
            self.bridge.post_call(
                lambda: view.set_transport_info(transport=name.upper(), local=local, server=server)
            )

        view.set_transport_info(transport=name.upper(), server=server)
        self.engine.current.snapshot().add_done_callback(got)


class OpenedLinks(QObject):
    """Links macOS opens with the app bundle (its Info.plist declares sip:, tel: and callto:):
    Launch Services hands them to the running app as ``QFileOpenEvent``s on the application,
    not as a second start's argv. Each goes to the handler as a one-link argv, after the event
    has been handled (a confirmation box must not run inside an event filter); links that come
    before :meth:`deliver_to` (a click that started the app) wait for it. GUI thread only."""

    def __init__(self, qapp: QCoreApplication) -> None:
        super().__init__(qapp)
        self._handler: Callable[[list[str]], None] | None = None
        self._waiting: list[str] = []
        qapp.installEventFilter(self)

    def deliver_to(self, handler: Callable[[list[str]], None]) -> None:
        self._handler = handler
        waiting, self._waiting = self._waiting, []
        for link in waiting:
            QTimer.singleShot(0, self, lambda link=link: handler([link]))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        url = event.url()
        link = url.toString()
        if not is_link(link):
            return False
        if url.scheme().lower() in ("tel", "callto") and _is_ipv4(url.host()):
            # Qt parsed callto://5551234 as a host and rewrote it as an IPv4 address
            # (0.84.191.2): the number is lost, and dialling what is left would call another.
            _log.warning("a %s:// link arrived rewritten by Qt; not dialled", url.scheme())
            return True
        QTimer.singleShot(0, self, lambda: self._deliver(link))
        return True

    def _deliver(self, link: str) -> None:
        if self._handler is None:
            self._waiting.append(link)
        else:
            self._handler([link])


def _is_ipv4(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv4Address)
    except ValueError:
        return False


def _typed(page: QWidget | None, kind: type[T]) -> T | None:
    return page if isinstance(page, kind) else None


def _json_passwords(text: str) -> list[str]:
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return []
    value = data.get("password") if isinstance(data, dict) else None
    return [value] if isinstance(value, str) and value else []


# ---- running it -----------------------------------------------------------------------------


def _options(demo_dir: Path | None) -> tuple[AppOptions, DemoEnvironment | None]:
    if demo_dir is not None:
        from softphone.demo.environment import start_demo_environment

        env = start_demo_environment(demo_dir)  # kamailio when installed, else direct mode
        creds = env.credentials
        options = AppOptions(
            data_dir=demo_dir / "data",
            settings_path=demo_dir / "settings.json",
            store=MemorySecretStore(),  # the demo login stays out of the real keychain
            device_id="demo-device",
            signin=SignInConfig(
                control_plane=env.control_plane, ca_file=str(env.ca_file), bind_address=HOST
            ),
            instance=instance_name("-demo"),
            engine_config=EngineConfig(bind_address=HOST),
            persist_control_plane=False,
            demo_login=(creds.company, creds.username, creds.password.reveal()),
            log_dir=demo_dir / "logs",
            adapt_account=env.account_for if env.direct else None,
            demo_env=env,
        )
        return options, env
    from softphone.provisioning.client import DEFAULT_BASE_URL
    from softphone.signin.service import default_state_dir, load_install_ids
    from softphone.storage.keychain import KeychainStore
    from softphone.storage.settings import default_path

    ids = load_install_ids()
    settings = AppSettings.load()
    options = AppOptions(
        data_dir=default_state_dir(),
        settings_path=default_path(),
        store=KeychainStore.open(ids.install_id),
        device_id=ids.device_id,
        signin=SignInConfig(
            control_plane=settings.custom_control_plane or DEFAULT_BASE_URL,
            ca_file=settings.ca_file or None,
        ),
        instance=instance_name(),
        deployment=load_defaults(),
    )
    return options, None


def run(links: Sequence[str] = (), *, demo: bool = False) -> int:
    """Open the app (``demo``: signed in to a bundled emulator). A running instance gets
    ``links`` instead, and this start exits 0."""
    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("VICIfast Phone")
    # Wayland's app id and X11's window class: docks match windows to the .desktop entry.
    qapp.setDesktopFileName(DESKTOP_ID.removesuffix(".desktop"))
    qapp.setWindowIcon(app_icon())
    qapp.setQuitOnLastWindowClosed(False)
    install_translator(qapp)
    # Before anything else: the click that started the app comes early. Qt sends FileOpen
    # only on macOS; elsewhere links arrive as argv.
    opened = OpenedLinks(qapp) if sys.platform == "darwin" else None
    name = instance_name("-demo" if demo else "")
    if send_to_running(name, list(links)):
        return 0
    # From here on SIGINT/SIGTERM end the app like Quit (one during demo mode's start waits)
    quit_on_signal = QuitOnSignal(qapp)
    demo_dir = Path(tempfile.mkdtemp(prefix="vicifast-demo-")) if demo else None
    env: DemoEnvironment | None = None
    app: App | None = None
    try:
        options, env = _options(demo_dir)
        app = App(options)
        app.finished.connect(qapp.quit)
        if opened is not None:
            opened.deliver_to(app.handle_argv)
        app.start()
        quit_on_signal.on_signal(app.quit)
        if links:
            app.handle_argv(list(links))
        return qapp.exec()
    finally:
        if env is not None:  # after the app's quit: the engine has unregistered
            env.close()  # the demo lines, kamailio and the emulator, by PID
        if demo_dir is not None:
            shutil.rmtree(demo_dir, ignore_errors=True)
        quit_on_signal.close()  # a second SIGTERM does not cut the clean-up short
        if app is not None:
            exit_if_stuck(app)  # last: ends the process if quitting left something hanging


def exit_if_stuck(app: App, exit_now: Callable[[int], None] = os._exit) -> threading.Thread | None:
    """After the event loop, so the process ends within the quit's bound whatever hangs.

    A quit that ran out of time ends the process now. After a clean one the interpreter exits
    as usual, but it waits at exit for every thread that is not a daemon (the SIP thread, pool
    workers stuck in a DNS lookup): a daemon thread, returned here, ends the process
    (``os._exit``, with ``EXIT_STUCK``) if it is still there when the bound (at least
    ``EXIT_GRACE_S`` from now) is up. Nothing to do for an app that never began quitting."""
    if app.stopped_cleanly is None:
        return None
    if not app.stopped_cleanly:
        _exit_hanging(exit_now)
        return None
    wait_s = max(app.quit_deadline - time.monotonic(), EXIT_GRACE_S)

    def last_resort() -> None:
        threading.Event().wait(wait_s)
        _exit_hanging(exit_now)

    thread = threading.Thread(target=last_resort, name="exit-deadline", daemon=True)
    thread.start()
    return thread


def _exit_hanging(exit_now: Callable[[int], None]) -> None:
    mine = (threading.current_thread(), threading.main_thread())
    hanging = [t.name for t in threading.enumerate() if t not in mine and not t.daemon]
    _log.error("ending the process with work left hanging (%s)", ", ".join(hanging) or "quit")
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    exit_now(EXIT_STUCK)
