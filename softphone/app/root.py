"""The composition root of the desktop app: :class:`App` builds the bridge, bus, engine, audio,
history, sign-in, windows and tray, wires them together, and starts and stops them. The parts
it is made of live beside it in ``softphone.app``.

Nothing that can block runs on the GUI thread: the engine starts on a thread of its own (the
window is up meanwhile; resuming the session waits for it), sound-device work runs on the audio
lane, and quitting hides the window at once and stops the rest in the background within
``AppOptions.quit_timeout_s``, after which ``run`` ends the process even if something hangs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from softphone.app import pages
from softphone.app.call_bar import watch_calls
from softphone.app.demo_ring import ring_me
from softphone.app.engine import AccountChoice, AppEngine, show_transport, with_settings
from softphone.app.first_window import FirstWindow, ask, uses_tray
from softphone.app.hotkeys import for_app as global_hotkeys_for
from softphone.app.links import Dialler
from softphone.app.options import AppOptions
from softphone.app.quitting import Teardown
from softphone.app.settings_sync import SettingsSync
from softphone.app.signin import QrCodes, watch_network, watch_sleep
from softphone.app.sound import make_audio_backend, open_saved_devices
from softphone.audio.controller import AudioController
from softphone.audio.processing import AudioProcessing
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.engine import EnginePhone, SipEngineApi
from softphone.core.errors import VicifastError
from softphone.core.executor import Outcome
from softphone.core.models import EngineConfig, SipAccountConfig
from softphone.core.session_events import (
    ACCOUNT_ID,
    SessionReason,
    SessionState,
    SessionStateChanged,
)
from softphone.signin.config import SignInConfig
from softphone.signin.netwatch import NetWatch
from softphone.signin.service import SignInService
from softphone.signin.wake import SleepWakeWatch
from softphone.storage.history import HistoryRecorder, HistoryWriter
from softphone.ui.command_runner import log_failure
from softphone.ui.diagnostics import TraceLog
from softphone.ui.main_window import SIGNED_IN
from softphone.ui.phone.incoming_call import IncomingCallWindow
from softphone.ui.phone.view import PhoneView
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.view import RecentsView
from softphone.ui.settings.view import SettingsView
from softphone.ui.signin.controller import SignInController
from softphone.ui.signin.view import SignInRequest
from softphone.ui.single_instance import instance_server
from softphone.ui.tray import Tray
from softphone.ui.window_status import SignedInAs

_log = logging.getLogger(__name__)


def _ask_before_deleting(parent: QWidget, text: str) -> bool:
    """Like :func:`softphone.app.first_window.ask`, for what deletes: No is the default, so
    Enter keeps everything."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    title = QCoreApplication.translate("App", "VICIfast Desktop")
    answer = QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class App(QObject):
    """The running app; lives on the GUI thread. ``finished`` is emitted once :meth:`quit` has
    stopped everything, or its bound ran out (``stopped_cleanly`` says which; ``run`` ends the
    event loop on it)."""

    finished = Signal()
    service: SignInService  # with ``options.service_after_show``: once made on its thread

    def __init__(
        self,
        options: AppOptions,
        parent: QObject | None = None,
        *,
        first: FirstWindow | None = None,
        build: bool = True,
    ) -> None:
        """The app around ``first`` (the window a start has shown already; made here if
        None). ``build`` False leaves the rest to the caller, one :meth:`build_steps` step at a
        time, so that the GUI thread is never held long while the window is up."""
        super().__init__(parent)
        self.options = options
        self._confirm = options.confirm or ask
        self._confirm_deleting = options.confirm or _ask_before_deleting
        self._quitting = False
        self.quit_deadline = 0.0  # time.monotonic() by which quitting ends, once it began
        self.stopped_cleanly: bool | None = None  # set when ``finished`` is emitted
        self._engine_starting = False  # start() began the engine's start
        self._engine_up = threading.Event()  # the engine's start returned (or failed)
        self._quit_timer: QTimer | None = None
        self._signed_in = False
        self.incoming_windows: dict[str, IncomingCallWindow] = {}
        self.first = first if first is not None else FirstWindow(options)
        self.first.setParent(self)
        self.settings = self.first.settings
        self.bus = self.first.bus
        self.bridge = self.first.bridge
        self.signin_view = self.first.signin_view
        self.window = self.first.window
        self.built = False  # every step of build_steps has run
        if build:
            for _ in self.build_steps():
                pass

    def build_steps(self) -> Iterator[None]:
        """Build the rest of the app, pausing (yielding) between steps of a few tens of ms."""
        options = self.options
        self.settings_sync = SettingsSync(self)
        self.accounts = AccountChoice(
            lambda: self.settings,
            options.adapt_account,
            lambda: self.bridge.post_call(self._show_auto_answer),
        )
        self.trace = TraceLog(options.log_dir)
        engine_config = self._with_settings(options.engine_config)
        if self.settings.sip_trace:
            self.trace.attach()
        rings = AudioRings.create()
        self.audio_backend = make_audio_backend(self.settings, options)
        self.audio = AudioController(
            self.audio_backend,
            rings,
            self.bridge.post_other,
            processing=AudioProcessing(self.settings.processing()),
        )
        # the controller's blocking calls (PortAudio re-scans, opens), one at a time, in order
        self.audio_ops = self.bridge.lane("audio-ops")
        self.engine_settings = self.settings  # what the engine is made with
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
        self.history_model = HistoryModel(self.history.start(), self.bridge, parent=self)
        # made on a thread of its own (its HTTP clients load the system's CA
        # certificates and httpcore) when the options say so: the window is up meanwhile
        self._service_up: threading.Event | None = None  # set once that thread is done
        self._built_service: SignInService | None = None  # what it made
        self._service_ready = not options.service_after_show
        self._engine_ready = False  # the engine started; the session resumes once both are
        # the engine's events before the service was made (None: it could not be)
        self._early_events: list[ev.Event] | None = []
        # the service's outcome when it came before the app was built (handled then)
        self._service_outcome: Outcome[SignInService] | None = None
        if self._service_ready:
            self.service = self._make_service(options.signin)
        else:  # the longest part of a start: begun now, while the rest is built
            self._begin_service()
        self.bus.subscribe(ev.Event, self._to_session)
        self.bus.subscribe(ev.RegistrationChanged, self._on_registration)
        self.bus.subscribe(SessionStateChanged, self._on_session)
        self.bus.subscribe(ev.IncomingCall, self._on_incoming)
        self.phone = EnginePhone(lambda: self.engine.current)
        self.signin = SignInController(
            self.signin_view,
            self.bus,
            self._session_for,
            lambda: self.service.session,
            self,
            default_company=options.deployment.company_code,
        )
        yield
        factories = pages.page_factories(
            phone=self.phone,
            bus=self.bus,
            bridge=self.bridge,
            history=self.history_model,
            call_back=self._call_back,
            audio=self.audio,
            settings=self.settings,
            audio_ops=self.audio_ops,
            options=options,
        )
        for title, make in factories:  # a page in two steps: built, then mounted as a tab
            page = self.window.build_page(title, make)
            yield
            self.window.mount_page(title, page)
        self.qr_codes = QrCodes(
            window=self.window,
            bridge=self.bridge,
            signin_view=self.signin_view,
            settings=lambda: self.settings,
            signed_in=lambda: self._signed_in,
            accounts=self.accounts,
            engine=self.engine,
            inform=self._inform,
        )
        self.signin_view.scanRequested.connect(self.qr_codes.scan)
        # the company and agent the form signed in with (None: resumed from the keychain)
        self._signing_in_as: tuple[str, str] | None = None
        self.signin_view.submitted.connect(self._signing_in)
        # the first window keeps it off; on once the service is made (now, or on its thread)
        self.signin_view.sign_in_button.setEnabled(self._service_ready)
        self.provisioning = pages.ProvisioningWindow(self.bridge, self.window)
        self.signin_view.provisioningRequested.connect(self.provisioning.open)
        self.first.hand_over()
        self.window.signOutRequested.connect(self.sign_out)
        self.window.quitRequested.connect(self.quit)
        self.window.hiddenToTray.connect(self._hidden_to_tray)

        use_tray = uses_tray(options)
        # the incoming-call window sends the incoming-call notification itself
        self.tray = Tray(self.bus, self, notify_incoming=False) if use_tray else None
        if self.tray is not None:
            self.window.hide_on_close = True
            self.tray.showRequested.connect(self.show_window)
            self.tray.signOutRequested.connect(self.sign_out)
            self.tray.quitRequested.connect(self.quit)
        self.phone_view = pages.typed(self.window.page("Phone"), PhoneView)
        self.recents_view = pages.typed(self.window.page("Recents"), RecentsView)
        self.settings_view = pages.typed(self.window.page("Settings"), SettingsView)
        self.navigation = pages.Navigation(
            self.window, self.tray, self.phone_view, self.recents_view
        )
        self.dialler = Dialler(
            self.window,
            self.signin_view,
            self.phone_view,
            self.phone,
            lambda text: self._confirm(self.window, text),
        )
        pages.wire_pages(self)
        self.call_bar = watch_calls(self)  # on top during a call while the window is not
        self.hotkeys = global_hotkeys_for(self)  # held from start() on, if the setting says so
        self.instance_server = instance_server(options.instance, self)
        self.instance_server.received.connect(self.handle_argv)
        self._net_timer: QTimer | None = None
        self.net_watch: NetWatch | None = None
        self._sleep_timer: QTimer | None = None
        self.sleep_watch: SleepWakeWatch | None = None
        self.built = True
        self._service_made_meanwhile()

    # ---- start and stop ------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for later starts and show the window; the engine starts on a thread of its
        own and the devices open on the audio lane. Once the engine is up the session resumes
        (or demo mode signs in): :meth:`_engine_started`."""
        self.instance_server.listen()
        self.hotkeys.apply(self.settings)
        self._engine_starting = True
        self.bridge.run_in_thread("engine-start", self._start_engine, self._engine_started)
        self.audio_ops(lambda: open_saved_devices(self.audio, self.settings), lambda _outcome: None)
        if self._service_ready:
            self._watch_network()
        self.sleep_watch, self._sleep_timer = watch_sleep(
            self._ready_service, self.engine.hangup, self.recorder.ending, self.bridge, self
        )
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

    def _begin_service(self) -> None:
        self._service_up = threading.Event()
        self.bridge.run_in_thread("signin-start", self._build_service, self._service_made)

    def _build_service(self) -> SignInService:
        # the signin-start thread: nothing in it is the GUI thread's (no QObject, no timer)
        assert self._service_up is not None
        try:
            self._built_service = self._make_service(self.options.signin)
            return self._built_service
        finally:
            self._service_up.set()

    def _service_made(self, outcome: Outcome[SignInService]) -> None:
        if self._quitting:
            return  # the quit closes it (Teardown)
        if not self.built:  # the form and the network watch are not wired yet
            self._service_outcome = outcome
            return
        if outcome.error is not None or outcome.value is None:
            _log.error("the sign-in service could not be made: %s", outcome.error)
            self.signin_view.show_message(str(outcome.error))
            self._early_events = None  # as App() would have failed before: nothing to sign in
            return
        self.service = outcome.value
        self._service_ready = True
        early, self._early_events = self._early_events or [], []
        for event in early:
            self.service.on_engine_event(event)
        if self._engine_starting:  # else start() watches the network, the service being made
            self._watch_network()
        self.signin_view.sign_in_button.setEnabled(True)
        if self._engine_ready:
            self._resume()

    def _service_made_meanwhile(self) -> None:
        outcome, self._service_outcome = self._service_outcome, None
        if outcome is not None:  # made before the app was built: handled now that it is
            self._service_made(outcome)

    def _ready_service(self) -> SignInService | None:
        return self.service if self._service_ready else None

    def _watch_network(self) -> None:
        watched = watch_network(lambda: self.service, self.bridge, self)
        if watched is not None:
            self.net_watch, self._net_timer = watched

    def _engine_started(self, outcome: Outcome[None]) -> None:
        if self._quitting:
            return
        if outcome.error is not None:
            _log.error("the SIP engine did not start: %s", outcome.error)
            self.signin_view.show_message(str(outcome.error))
            return
        self.settings_sync.catch_up_sound()
        self._engine_ready = True
        if self._service_ready:
            self._resume()

    def _resume(self) -> None:
        """The engine is up and the service made: resume the session, or demo mode signs in."""
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

    def quit(self) -> None:
        """Hide at once, then stop everything in the background (:class:`Teardown`).
        ``finished`` follows when both of its threads are done, or when
        ``options.quit_timeout_s`` has run out (``stopped_cleanly`` False: ``run`` then ends
        the process)."""
        if self._quitting:
            return
        self._quitting = True
        self.quit_deadline = time.monotonic() + self.options.quit_timeout_s
        if self.call_bar is not None:
            self.call_bar.stop()  # before the window hides, which would show it
        self.instance_server.close()
        self.hotkeys.close()  # the keys go back to the other apps at once
        self.window.hide_on_close = False
        self.window.hide()
        if self.tray is not None:
            self.tray.hide()
        if self._net_timer is not None:
            self._net_timer.stop()
        if self._sleep_timer is not None:
            self._sleep_timer.stop()
        if self.sleep_watch is not None:
            self.sleep_watch.stop()
        for window in list(self.incoming_windows.values()):
            window.close()
        self.provisioning.close()
        # here: the session's timers are the GUI thread's; from now on nothing it still has
        # running changes its state (its HTTP clients are closed on the quit thread)
        if self._service_ready:
            self.service.session.close()
        self.history_model.close()
        self.audio_ops.close()  # device changes not started yet are dropped
        timer = self._quit_timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(self._quit_timed_out)
        timer.start(max(0, round(self.options.quit_timeout_s * 1000)))
        teardown = Teardown(
            deadline=self.quit_deadline,
            engine=self.engine,
            engine_up=self._engine_up if self._engine_starting else None,
            trace=self.trace,
            audio=self.audio,
            audio_backend=self.audio_backend,
            service=self._service_to_close,
            service_up=self._service_up,
            history=self.history,
        )
        self.bridge.run_in_thread("quit-engine", teardown.stop_engine, teardown.engine_stopped)
        self.bridge.run_in_thread("quit", teardown.stop_the_rest, self._rest_stopped)

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

    def _service_to_close(self) -> SignInService | None:
        # the quit thread, once the signin-start thread (if any) is done
        return self.service if self._service_ready else self._built_service

    def _session_for(self, control_plane: str, ca_file: str) -> Any:
        if not self._service_ready:  # the form's button waits for it; Enter may not
            raise VicifastError("Starting up; try again in a moment.")
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
        if not self._service_ready:
            if self._early_events is not None:
                self._early_events.append(event)
            return
        self.service.on_engine_event(event)

    def sign_out(self) -> None:
        if self._confirm_deleting(
            self.window, self.tr("Sign out? Your saved sign-in and call history are deleted.")
        ):
            self.service.session.sign_out()
            self.show_window()

    @property
    def signed_in(self) -> bool:
        """The session is signed in (as the last state it published says)."""
        return self._signed_in

    def _on_session(self, event: SessionStateChanged) -> None:
        if event.state is SessionState.REGISTERING and self.options.persist_control_plane:
            self.settings_sync.remember_control_plane()
        was_signed_in, self._signed_in = self._signed_in, event.state in SIGNED_IN
        if self._signed_in and not was_signed_in:
            # after a wipe the history is closed: a new database under a new key (else nothing)
            self.history.reopen().add_done_callback(log_failure("reopening the call history"))
        if event.state is SessionState.SIGNED_OUT:
            self.dialler.registered = False
            self.accounts.qr_account = None  # never kept past a sign-out
        direct = self.options.adapt_account is not None and event.state in SIGNED_IN
        if direct:  # demo without a registrar: calls go straight to the lines, unregistered
            self.dialler.registered = True
            self.window.status.unregistered_text = self.tr(
                "Demo: calls go straight to the demo lines"
            )
        if was_signed_in != self._signed_in:
            self._show_auto_answer()
        if event.state is SessionState.SIGNING_IN and event.reason is SessionReason.RESUMED:
            self._signing_in_as = None
        self._show_identity()

    def _signing_in(self, request: SignInRequest) -> None:
        self._signing_in_as = (request.company, request.username)  # never the password

    def _show_identity(self) -> None:
        """Who is signed in, in the window and the tray: the agent and company the form (or
        the keychain, on resuming) signed in with, and the extension of the account in use."""
        who = None
        if self._signed_in:
            session = self.service.session
            company, agent = self._signing_in_as or (
                session.remembered_company,
                session.remembered_username,
            )
            account = self.engine.account
            who = SignedInAs(agent, account.extension if account is not None else "", company)
        self.window.set_identity(who)
        if self.tray is not None:
            self.tray.set_identity(who.line() if who is not None else "")

    def _show_auto_answer(self) -> None:
        if self.phone_view is not None:
            policy = self.accounts.auto_answer() if self._signed_in else None
            self.phone_view.set_auto_answer(policy)

    def apply_sip_account(self, config: SipAccountConfig) -> None:
        """A confirmed SIP account code (see :meth:`QrCodes.apply_sip_account`)."""
        self.qr_codes.apply_sip_account(config)

    def _with_settings(self, config: EngineConfig) -> EngineConfig:
        return with_settings(config, self.settings, self.options.engine_config.sip_trace)

    def _make_engine(self, emit: Any, config: EngineConfig, audio: Any) -> SipEngineApi:
        # The first engine, and each one a move to another local address starts (on the
        # engine's worker thread): every one starts with the settings as they are then.
        return self.options.engine_factory(emit, self._with_settings(config), audio)

    def _adapt_account(self, config: SipAccountConfig) -> SipAccountConfig:
        # the engine's worker thread (see AccountChoice)
        return self.accounts.adapt(config)

    def _inform(self, text: str) -> None:
        title = self.tr("VICIfast Desktop")
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_notice = text
        box.open()

    # ---- calls ---------------------------------------------------------------------------------

    def _on_incoming(self, event: ev.IncomingCall) -> None:
        if self.window.isVisible():  # the call's controls, whatever tab the agent was on
            self.window.show_page("Phone")
        if event.auto_answer_in_s is not None and event.auto_answer_in_s <= 0:
            return  # answered at once: the phone page shows it, nobody needs alerting
        tray = self.tray
        window = IncomingCallWindow(
            self.phone,
            self.bus,
            self.bridge,
            event,
            notify=tray.notify if tray is not None else None,
            withdraw=tray.withdraw if tray is not None else None,
            answer=self.phone_view.answer_call if self.phone_view is not None else None,
        )
        self.incoming_windows[event.call_id] = window
        window.destroyed.connect(lambda *_: self.incoming_windows.pop(event.call_id, None))
        if self.settings.bring_to_front_on_ring:  # the agent asked for it: focus may move
            self.window.show_page("Phone")
            self.window.bring_up()
        window.present()  # after: the call's own window stays on top of the main one

    def ring_me(self, *, auto_answer: bool = True) -> None:
        """Demo mode: the tone line calls the signed-in agent with an auto-answer request (or
        without one, giving up unanswered: "Ring me and give up")."""
        if self.options.demo_env is not None:
            env = self.options.demo_env
            ring_me(
                env, self.engine, self.bridge, self._inform,
                signed_in=self._signed_in, auto_answer=auto_answer,
            )  # fmt: skip

    # ---- windows, tray and pages ---------------------------------------------------------------

    def show_window(self) -> None:
        if self.phone_view is not None and self.phone_view.in_call:
            self.window.show_page("Phone")  # a live call comes first, whatever tab was left open
        self.window.bring_up()
        if self.tray is not None:
            self.tray.clear_missed()

    def _hidden_to_tray(self) -> None:
        if self.tray is None or self.settings.close_to_tray_notice_shown:
            return
        self.tray.notify_still_running()
        self.settings_sync.update(close_to_tray_notice_shown=True)

    # ---- dialling links ------------------------------------------------------------------------

    def handle_argv(self, argv: list[str]) -> None:
        """A later start's command line (or this one's): show the window, offer to dial links."""
        self.show_window()
        self.dialler.offer(argv)

    def _call_back(self, number: str) -> None:
        self.dialler.dial(number)

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if event.account_id != ACCOUNT_ID:
            return
        registered = event.state is ev.RegistrationState.REGISTERED
        if registered and self.settings_view is not None:
            show_transport(self.settings_view, self.engine, self.bridge, event.transport)
        self.dialler.set_registered(registered)
        self._show_identity()  # a SIP account code may have changed the extension
