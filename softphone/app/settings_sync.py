"""The app's settings kept in step: what the app itself saves (the control plane it signed in
to, a notice shown once) and what a change on the Settings page does at once — the engine's
auto-answer, direct calls and SIP trace, the sign-in form's control plane — or, for what the
engine refused while it started, once it is up."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication

from softphone.core.session_events import ACCOUNT_ID
from softphone.storage.settings import AppSettings
from softphone.ui.command_runner import log_failure

if TYPE_CHECKING:
    from softphone.app.root import App

_log = logging.getLogger(__name__)


class SettingsSync:
    """Keeps ``app.settings`` and what it governs in step. GUI thread only."""

    def __init__(self, app: App) -> None:
        self._app = app

    def update(self, **changes: Any) -> None:
        """Save ``changes``; they apply from now on."""
        app = self._app
        # Re-read first: the Settings page saves the same file.
        try:
            app.settings = AppSettings.load(app.options.settings_path).with_(**changes)
            app.settings.save(app.options.settings_path)
        except (OSError, ValueError) as err:
            _log.warning("could not save the settings: %s", err)

    def remember_control_plane(self) -> None:
        """The control plane the session signs in to, saved when it is not the default."""
        app = self._app
        config, default = app.service.config, app.options.signin
        custom = config.control_plane if config.control_plane != default.control_plane else ""
        ca = (config.ca_file or "") if custom else ""
        if (custom, ca) == (app.settings.custom_control_plane, app.settings.ca_file):
            return
        self.update(custom_control_plane=custom, ca_file=ca)

    def catch_up_sound(self) -> None:
        """Volumes or a ringtone changed while the engine started reach it now (it refused
        them then; it was made with the settings of that moment)."""
        app = self._app
        made, now = app.engine_settings, app.settings
        if now.levels() != made.levels():
            app.phone.set_levels(*now.levels()).add_done_callback(log_failure("set_levels"))
        if now.ringtone is not made.ringtone:
            app.phone.set_ringtone(now.ringtone).add_done_callback(log_failure("set_ringtone"))

    def apply(self, settings: AppSettings) -> None:
        """The Settings page saved ``settings``: what the engine and the sign-in form take
        from them changes now."""
        app = self._app
        before, app.settings = app.settings, settings
        policy = app.accounts.auto_answer(settings)
        if policy != app.accounts.auto_answer(before) and app.signed_in:
            if app.phone_view is not None:
                app.phone_view.set_auto_answer(policy)
            future = app.engine.current.set_auto_answer(ACCOUNT_ID, policy)
            future.add_done_callback(log_failure("set_auto_answer"))
        if settings.accept_direct_calls != before.accept_direct_calls and app.signed_in:
            direct = app.engine.current.set_direct_calls(ACCOUNT_ID, settings.accept_direct_calls)
            direct.add_done_callback(log_failure("set_direct_calls"))
        if settings.sip_trace != before.sip_trace:
            # the file first, then the engine: the first traced message has a place to go
            if settings.sip_trace:
                app.trace.attach()
            switched = app.engine.current.set_sip_trace(settings.sip_trace)
            switched.add_done_callback(log_failure("set_sip_trace"))
            switched.add_done_callback(lambda f: app.bridge.post_call(lambda: self._traced(f)))
        if settings.custom_control_plane != before.custom_control_plane:
            app.signin_view.set_control_plane(
                bool(settings.custom_control_plane),
                settings.custom_control_plane,
                settings.ca_file,
            )

    def _traced(self, switched: Future[bool]) -> None:
        app = self._app
        if switched.cancelled() or switched.exception() is not None:
            return
        if not app.settings.sip_trace:
            # the engine has stopped tracing (unless it was turned on again meanwhile)
            app.trace.detach()
        elif switched.result() is False and app.settings_view is not None:
            app.settings_view.export_status.setText(
                QCoreApplication.translate(
                    "App", "The SIP trace starts with the next start of VICIfast Desktop."
                )
            )
