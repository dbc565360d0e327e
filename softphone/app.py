"""The composition root of the desktop app: builds the bridge, bus, engine, audio, history,
sign-in, windows and tray, wires them together, and runs Qt. Nothing else lives here.

``run()`` is what ``vicifast-phone`` (no command) and ``vicifast-phone --demo`` call.
"""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from softphone.audio.backend import AudioBackend, default_backend
from softphone.audio.controller import AudioController
from softphone.audio.errors import AudioError
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.models import EngineConfig
from softphone.core.secret import Secret, SecretStore
from softphone.core.session import ACCOUNT_ID
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.links import dial_target, is_link
from softphone.signin import WILDCARD, RebindingEngine, SignInConfig, SignInService
from softphone.sip.engine import SipEngine
from softphone.storage.history import HistoryRecorder, HistoryWriter
from softphone.ui.bridge import QtBridge
from softphone.ui.engine_phone import EnginePhone
from softphone.ui.history_model import HistoryModel
from softphone.ui.main_window import MainWindow, PageFactory, optional_page
from softphone.ui.settings_model import AppSettings
from softphone.ui.signin_controller import SignInController
from softphone.ui.signin_view import SignInView
from softphone.ui.single_instance import InstanceServer, instance_name, send_to_running
from softphone.ui.tray import TRAY_NOTICE, Tray

if TYPE_CHECKING:
    from softphone.emulator.server import EmulatorServer

_log = logging.getLogger(__name__)
EngineFactory = Callable[..., SipEngine]


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
    tray: bool | None = None  # None: when the desktop has a tray
    persist_control_plane: bool = True  # not in demo mode: the emulator is not a choice
    demo_login: tuple[str, str, str] | None = None  # company, username, password
    confirm: Callable[[QWidget, str], bool] | None = None  # default: a Yes/No box


def _ask(parent: QWidget, text: str) -> bool:
    answer = QMessageBox.question(parent, "VICIfast Phone", text)
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
        self.settings = AppSettings.load(options.settings_path)
        self.bus = EventBus()
        self.bridge = QtBridge(self.bus, self)
        rings = AudioRings.create()
        self.audio = AudioController(options.audio_backend(), rings, self.bridge.post_other)
        self.engine = RebindingEngine(
            self.bridge.post, options.engine_config, rings, factory=options.engine_factory
        )
        self.history = HistoryWriter(options.data_dir, options.store)
        self.recorder = HistoryRecorder(self.history.record)
        self.recorder.attach(self.bus.subscribe)
        self.history_model = HistoryModel(self.history.start(), parent=self)
        self.service = self._make_service(options.signin)
        self.bus.subscribe(ev.Event, self._to_session)
        self.bus.subscribe(ev.RegistrationChanged, self._on_registration)
        self.bus.subscribe(SessionStateChanged, self._on_session)
        self.phone = EnginePhone(lambda: self.engine.current)

        self.signin_view = SignInView(
            self.bus, confirm=lambda text: self._confirm(self.window, text)
        )
        self.signin_view.set_control_plane(
            bool(self.settings.custom_control_plane),
            self.settings.custom_control_plane,
            self.settings.ca_file,
        )
        self.signin = SignInController(
            self.signin_view, self.bus, self._session_for, lambda: self.service.session, self
        )
        self.signin_view.scanRequested.connect(self._scan)
        self.window = MainWindow(self.bus, self.signin_view, self._pages())
        self.window.signOutRequested.connect(self.sign_out)
        self.window.quitRequested.connect(self.quit)
        self.window.hiddenToTray.connect(self._hidden_to_tray)
        self.window.tabs.currentChanged.connect(self._tab_changed)

        use_tray = Tray.available() if options.tray is None else options.tray
        self.tray = Tray(self.bus, self) if use_tray else None
        if self.tray is not None:
            self.window.hide_on_close = True
            self.tray.showRequested.connect(self.show_window)
            self.tray.signOutRequested.connect(self.sign_out)
            self.tray.quitRequested.connect(self.quit)
        self.instance_server = InstanceServer(options.instance, self)
        self.instance_server.received.connect(self.handle_argv)
        self._net_timer: QTimer | None = None

    # ---- start and stop ------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for later starts, start the engine and audio, then resume or sign in."""
        self.instance_server.listen()
        self.engine.start()
        self._open_audio()
        self._watch_network()
        if self.tray is not None:
            self.tray.show()
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
        self.engine.stop()  # hangs up, unregisters, destroys pjsua2 (bounded by SipEngine)
        self.audio.close()
        self.history_model.close()
        self.history.stop(timeout=5.0)
        self.service.close()
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
            clear_history=lambda: self.history.clear_all().result(10.0),
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
        if self._confirm(self.window, "Sign out? Your saved sign-in and call history are deleted."):
            self.service.session.sign_out()
            self.show_window()

    def _on_session(self, event: SessionStateChanged) -> None:
        if event.state is SessionState.REGISTERING and self.options.persist_control_plane:
            self._remember_control_plane()
        if event.state is SessionState.SIGNED_OUT:
            self._registered = False

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
        from softphone.netwatch import NetWatch, local_address_towards

        if self.service.bind_address not in WILDCARD:
            return
        url = httpx.URL(self.service.config.control_plane)
        host, port = url.host, url.port or 443
        watch = NetWatch(
            lambda: local_address_towards(host, port),
            lambda _old, _new: self.service.on_ip_changed(),
        )
        self._net_timer = QTimer(self)
        self._net_timer.setInterval(int(watch.interval_s * 1000))
        self._net_timer.timeout.connect(watch.check)
        self._net_timer.start()

    def _scan(self) -> None:
        """The scan dialog (it confirms the code itself); a sign-in code fills the form."""
        from softphone.ui.qr_scan_dialog import QrScanDialog

        view = self.signin_view
        dialog = QrScanDialog(
            self.window, allow_custom_control_planes=view.custom_plane.isChecked()
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.signInCodeAccepted.connect(
            lambda code: view.apply_signin_code(code.company, code.username, code.api)
        )
        dialog.open()

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
                    lambda m: m.SettingsView(self.audio, self.settings),
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
        if self.window.tabs.tabText(index) == "Recents" and self.tray is not None:
            self.tray.clear_missed()

    def _hidden_to_tray(self) -> None:
        if self.tray is None or self.settings.close_to_tray_notice_shown:
            return
        self.tray.notify("VICIfast Phone", TRAY_NOTICE)
        self._update_settings(close_to_tray_notice_shown=True)

    # ---- dialling links ------------------------------------------------------------------------

    def handle_argv(self, argv: list[str]) -> None:
        """A later start's command line (or this one's): show the window, offer to dial links."""
        self.show_window()
        for arg in argv:
            target = dial_target(arg) if is_link(arg) else None
            if target and self._confirm(self.window, f"Call {target}?"):
                self._dial(target)

    def _call_back(self, number: str) -> None:
        self._dial(number)

    def _dial(self, target: str) -> None:
        if not self._registered:
            self._pending_dial = target  # dialled once registered
            self.signin_view.show_message(f"Sign in to call {target}.", "info")
            return
        self.phone.make_call(target).add_done_callback(_log_dial_failure)
        self.window.show_page("Phone")

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if event.account_id != ACCOUNT_ID:
            return
        self._registered = event.state is ev.RegistrationState.REGISTERED
        if self._registered and self._pending_dial:
            target, self._pending_dial = self._pending_dial, ""
            self._dial(target)


def _log_dial_failure(future: Any) -> None:  # on the SIP thread: log only (events tell the UI)
    if not future.cancelled() and future.exception() is not None:
        _log.warning("the call could not be placed: %s", future.exception())


# ---- running it -----------------------------------------------------------------------------


class _MemoryStore:
    """Demo mode's keychain: the emulator's demo login stays out of the real keychain."""

    def __init__(self) -> None:
        self._values: dict[str, Secret] = {}

    def get(self, key: str) -> Secret | None:
        return self._values.get(key)

    def set(self, key: str, value: Secret) -> None:
        self._values[key] = value

    def delete(self, key: str) -> None:
        self._values.pop(key, None)

    def clear(self) -> None:
        self._values.clear()


def _demo_login() -> tuple[str, str, str]:
    from softphone.emulator.seed import load_seed

    _settings, companies = load_seed(None)
    for company in companies:
        for agent in company.agents.values():
            if company.addon_active and agent.active and not agent.totp_secret:
                return company.code, agent.username, agent.password
    raise RuntimeError("the bundled seed has no usable demo agent")


def _start_emulator(folder: Path) -> EmulatorServer:
    """The bundled emulator over HTTPS on 127.0.0.1 (+ kamailio when installed)."""
    from softphone.emulator.registrar import Registrar, kamailio_path
    from softphone.emulator.server import EmulatorServer
    from softphone.emulator.state import EmulatorState

    state = EmulatorState.from_seed()
    registrar = Registrar(state.sip_users()) if kamailio_path() else None
    if registrar is None:
        _log.warning("kamailio is not installed: the demo signs in but cannot register")
    return EmulatorServer(state, port=0, ca_out=folder / "ca.pem", registrar=registrar).start()


def _options(demo_dir: Path | None) -> tuple[AppOptions, EmulatorServer | None]:
    if demo_dir is not None:
        server = _start_emulator(demo_dir)
        options = AppOptions(
            data_dir=demo_dir / "data",
            settings_path=demo_dir / "settings.json",
            store=_MemoryStore(),
            device_id="demo-device",
            signin=SignInConfig(
                control_plane=server.url, ca_file=str(server.ca_file), bind_address="127.0.0.1"
            ),
            instance=instance_name("-demo"),
            engine_config=EngineConfig(bind_address="127.0.0.1"),
            persist_control_plane=False,
            demo_login=_demo_login(),
        )
        return options, server
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
    )
    return options, None


def run(links: Sequence[str] = (), *, demo: bool = False) -> int:
    """Open the app (``demo``: signed in to a bundled emulator). A running instance gets
    ``links`` instead, and this start exits 0."""
    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("VICIfast Phone")
    qapp.setQuitOnLastWindowClosed(False)
    name = instance_name("-demo" if demo else "")
    if send_to_running(name, list(links)):
        return 0
    demo_dir = Path(tempfile.mkdtemp(prefix="vicifast-demo-")) if demo else None
    server: EmulatorServer | None = None
    try:
        options, server = _options(demo_dir)
        app = App(options)
        app.finished.connect(qapp.quit)
        app.start()
        # Ctrl-C / SIGTERM in a terminal: quit cleanly (a timer lets Python see the signal)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: app.quit())
        wake = QTimer(app)
        wake.timeout.connect(lambda: None)
        wake.start(250)
        if links:
            app.handle_argv(list(links))
        return qapp.exec()
    finally:
        if server is not None:  # after the app's quit: the engine has unregistered
            server.stop()
        if demo_dir is not None:
            shutil.rmtree(demo_dir, ignore_errors=True)
