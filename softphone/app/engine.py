"""The app's side of the SIP engine: :class:`AppEngine` (the session's engine, every account
adapted on the way in), :class:`AccountChoice` (what that adaptation is: a QR code's account,
the auto-answer mode, direct calls), the settings every engine starts with, and the transport
information the Settings page shows."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from softphone.app.options import AccountAdapter
from softphone.core.models import AutoAnswerPolicy, EngineConfig, EngineSnapshot, SipAccountConfig
from softphone.signin.service import RebindingEngine
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.settings.view import SettingsView


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


class AccountChoice:
    """What the account the engine installs becomes: a confirmed QR code's account in place of
    the provisioned one (until sign-out or quit; never saved), demo mode's adaptation, the
    auto-answer mode (the user's choice in Settings, else what the server provisioned) and
    whether direct calls are accepted. ``settings`` gives the app's settings as they are now;
    ``provisioned`` is called, on the engine's worker thread, once the server's mode is known."""

    def __init__(
        self,
        settings: Callable[[], AppSettings],
        demo_adapt: AccountAdapter | None,
        provisioned: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._demo_adapt = demo_adapt
        self._provisioned = provisioned
        self.qr_account: SipAccountConfig | None = None
        # what the server provisioned the last account added with (set on the engine's worker
        # thread, an immutable value); Settings' "as your company's server sets it" applies it
        self.provisioned_auto_answer = AutoAnswerPolicy()

    def adapt(self, config: SipAccountConfig) -> SipAccountConfig:
        # the engine's worker thread: reads only immutable values
        chosen = self.qr_account or config
        if self._demo_adapt is not None:
            chosen = self._demo_adapt(chosen)
        self.provisioned_auto_answer = chosen.auto_answer
        self._provisioned()
        return replace(
            chosen,
            auto_answer=self.auto_answer(),
            accept_direct_calls=self._settings().accept_direct_calls,
        )

    def auto_answer(self, settings: AppSettings | None = None) -> AutoAnswerPolicy:
        """What applies to the account: the user's choice, or what the server provisioned."""
        return (settings or self._settings()).auto_answer_policy(self.provisioned_auto_answer)


def with_settings(config: EngineConfig, settings: AppSettings, sip_trace: bool) -> EngineConfig:
    """``config`` with the Settings page's sound choices and SIP trace (``sip_trace``: traced
    whatever the page says)."""
    speaker, mic = settings.levels()
    return replace(
        config,
        speaker_level=speaker,
        mic_level=mic,
        ringtone=settings.ringtone,
        sip_trace=settings.sip_trace or sip_trace,
    )


def show_transport(view: SettingsView, engine: AppEngine, bridge: QtBridge, transport: str) -> None:
    """The Settings page's transport information once registered over ``transport``: the
    account's server at once, this end's address when the engine has told it."""
    account = engine.account
    server = ""
    if account is not None:
        host = account.proxy or account.domain
        server = f"{host}:{account.port}" if account.port else host
        transport = transport or account.transport.value
    name = transport.lower()

    def got(future: Future[EngineSnapshot]) -> None:  # the SIP thread
        if future.cancelled() or future.exception() is not None:
            return
        local = future.result().transports.get(name, "")
        bridge.post_call(
            lambda: view.set_transport_info(transport=name.upper(), local=local, server=server)
        )

    view.set_transport_info(transport=name.upper(), server=server)
    engine.current.snapshot().add_done_callback(got)
