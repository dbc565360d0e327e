"""The composition root of the desktop app: builds the bridge, bus, engine, audio, history,
sign-in, windows and tray, wires them together, and runs Qt. Nothing else lives here.

``run()`` is what ``vicifast-phone`` (no command) and ``vicifast-phone --demo`` call.
"""

from __future__ import annotations

import ipaddress
import logging
import shutil
import sys
import tempfile
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
from softphone.core.models import AutoAnswerPolicy, EngineConfig, SipAccountConfig
from softphone.core.secret import MemorySecretStore, SecretStore
from softphone.core.session import ACCOUNT_ID, KEY_PASSWORD, KEY_SIP
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.deployment import DeploymentDefaults, initial_control_plane, load_defaults
from softphone.links import dial_target, is_link
from softphone.netwatch import NetWatch
from softphone.signin import WILDCARD, RebindingEngine, SignInConfig, SignInService
from softphone.sip.engine import SipEngine
from softphone.storage.history import HistoryRecorder, HistoryWriter
from softphone.ui.bridge import QtBridge
from softphone.ui.command_runner import log_failure
from softphone.ui.diagnostics import Diagnostics, TraceLog
from softphone.ui.engine_phone import EnginePhone
from softphone.ui.history_model import HistoryModel
from softphone.ui.i18n import install_translator
from softphone.ui.icons import app_icon
from softphone.ui.incoming_call import IncomingCallWindow
from softphone.ui.link_handler import DESKTOP_ID
from softphone.ui.main_window import SIGNED_IN, MainWindow, PageFactory, optional_page
from softphone.ui.phone_view import PhoneView
from softphone.ui.quit_signal import QuitOnSignal
from softphone.ui.recents_view import RecentsView
from softphone.ui.settings_model import AppSettings, SoundSystem
from softphone.ui.settings_view import SettingsView
from softphone.ui.signin_controller import SignInController
from softphone.ui.signin_view import SignInView
from softphone.ui.single_instance import InstanceServer, instance_name, send_to_running
from softphone.ui.tray import Tray

if TYPE_CHECKING:
    from softphone.demo_env import DemoEnvironment

HOST = "127.0.0.1"

_log = logging.getLogger(__name__)
T = TypeVar("T")
EngineFactory = Callable[..., SipEngine]
AccountAdapter = Callable[[SipAccountConfig], SipAccountConfig]
FOCUS_DIALPAD_KEY = "Ctrl+L"
SEARCH_RECENTS_KEY = "Ctrl+F"
RING_ME_KEY = "Ctrl+Shift+G"


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
    stopped everything (``run`` ends the event loop on it)."""

    finished = Signal()

    def __init__(self, options: AppOptions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.options = options
        self._confirm = options.confirm or _ask
        self._quitting = False
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
        """Listen for later starts, start the engine and audio, then resume or sign in."""
        self.instance_server.listen()
        self.engine.start()
        self._open_audio()
        self._watch_network()
        if self.tray is not None:
            self.tray.show()
        # minimised to the tray only when there is one: never no way in
        if not (self.settings.start_minimised and self.tray is not None):
            self.window.show()
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

    def _open_audio(self) -> None:
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
        """Unregister and stop everything, each step bounded, then leave the event loop."""
        if self._quitting:
            return
        self._quitting = True
        self.instance_server.close()
        self.window.hide_on_close = False
        self.window.hide()
        if self.tray is not None:
            self.tray.hide()
        if self._net_timer is not None:
            self._net_timer.stop()
        for window in list(self.incoming_windows.values()):
            window.close()
        self.engine.stop()  # hangs up, unregisters, destroys pjsua2 (bounded by SipEngine)
        self.trace.detach()
        self.audio.close()
        shutdown = getattr(self.audio_backend, "shutdown", None)
        if callable(shutdown):  # Qt Multimedia's own thread
            shutdown()
        self.service.close()  # before the history's thread stops: a sign-out's wipe needs it
        self.history_model.close()
        self.history.stop(timeout=5.0)
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
        from softphone.netwatch import local_address_towards

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
            hostport = str(future.result()["transports"].get("udp", ""))
            self.bridge.post_call(lambda: self._ring(env, hostport))

        self.engine.current.snapshot().add_done_callback(got)

    def _ring(self, env: DemoEnvironment, hostport: str) -> None:
        from softphone.demo_env import DemoError

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
            local = str(future.result()["transports"].get(name, ""))
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
        from softphone.demo_env import start_demo_environment

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
    from softphone.signin import default_state_dir, load_install_ids
    from softphone.storage.keychain import KeychainStore
    from softphone.ui.settings_model import default_path

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
        quit_on_signal.close()  # last: a second SIGTERM does not cut the clean-up short
