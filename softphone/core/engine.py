"""The SIP engine as every layer above ``softphone.sip`` sees it.

``softphone.sip.engine.SipEngine`` runs pjsua2 on a thread of its own; the sign-in service, the
phone screens and the tests hold an engine only through :class:`SipEngineApi`, so none of them
imports ``softphone.sip`` (and through it pjsua2). Only a composition root (the app, the
headless agent, the demos) constructs a ``SipEngine`` and hands it, or a factory of them, down.
Every command returns at once with a Future the engine completes on its thread; what follows
arrives as events through the ``emit`` the engine was made with.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

from softphone.core import events as ev
from softphone.core.models import (
    AutoAnswerPolicy,
    DtmfMethod,
    EngineSnapshot,
    Ringtone,
    SipAccountConfig,
)
from softphone.core.phone import CallCommands, SoundCommands
from softphone.core.session_events import ACCOUNT_ID


class SipEngineApi(CallCommands, SoundCommands, Protocol):
    """What ``SipEngine`` offers; see its methods for what each does."""

    def start(self, timeout_s: float = 10.0) -> None: ...
    def stop(self, timeout_s: float = 10.0) -> None: ...
    @property
    def running(self) -> bool: ...
    @property
    def capabilities(self) -> ev.Capabilities | None: ...
    def add_account(
        self, config: SipAccountConfig, account_id: str | None = None
    ) -> Future[str]: ...
    def remove_account(self, account_id: str) -> Future[None]: ...
    def reregister(self, account_id: str) -> Future[None]: ...
    def set_auto_answer(self, account_id: str, policy: AutoAnswerPolicy) -> Future[None]: ...
    def set_direct_calls(self, account_id: str, accept: bool | None) -> Future[None]: ...
    def make_call(
        self, account_id: str, target: str, headers: dict[str, str] | None = None
    ) -> Future[str]: ...
    def send_dtmf(
        self, call_id: str, digits: str, method: DtmfMethod | None = None
    ) -> Future[None]: ...
    def set_sip_trace(self, on: bool) -> Future[bool]: ...
    def handle_ip_change(self) -> Future[None]: ...
    def snapshot(self) -> Future[EngineSnapshot]: ...


class EnginePhone:
    """``PhoneCommands`` and ``SoundCommands`` over the running SIP engine, for the signed-in
    account.

    ``engine`` returns the engine that runs now: the sign-in's ``RebindingEngine`` replaces its
    ``SipEngine`` when it moves to another local address, so the phone asks for it on every
    command instead of keeping one. Thread-safe, like the engine's methods.
    """

    def __init__(self, engine: Callable[[], SipEngineApi], account_id: str = ACCOUNT_ID) -> None:
        self._engine = engine
        self.account_id = account_id

    def make_call(self, target: str) -> Future[str]:
        return self._engine().make_call(self.account_id, target)

    def answer(self, call_id: str) -> Future[None]:
        return self._engine().answer(call_id)

    def reject(self, call_id: str, code: int = 486) -> Future[None]:
        return self._engine().reject(call_id, code)

    def hangup(self, call_id: str) -> Future[None]:
        return self._engine().hangup(call_id)

    def hold(self, call_id: str) -> Future[None]:
        return self._engine().hold(call_id)

    def unhold(self, call_id: str) -> Future[None]:
        return self._engine().unhold(call_id)

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        return self._engine().set_mute(call_id, muted)

    def send_dtmf(self, call_id: str, digits: str) -> Future[None]:
        return self._engine().send_dtmf(call_id, digits)

    def transfer(self, call_id: str, target: str) -> Future[None]:
        return self._engine().transfer(call_id, target)

    def transfer_attended(self, call_id: str, to_call_id: str) -> Future[None]:
        return self._engine().transfer_attended(call_id, to_call_id)

    def set_levels(self, speaker: float, mic: float) -> Future[None]:
        return self._engine().set_levels(speaker, mic)

    def set_ringtone(self, ringtone: Ringtone) -> Future[None]:
        return self._engine().set_ringtone(ringtone)

    def preview_ringtone(self, ringtone: Ringtone) -> Future[float]:
        return self._engine().preview_ringtone(ringtone)

    def stop_ringtone_preview(self) -> Future[None]:
        return self._engine().stop_ringtone_preview()
