"""``PhoneCommands`` over the running SIP engine, for the signed-in account."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from softphone.core.models import Ringtone
from softphone.core.session import ACCOUNT_ID
from softphone.sip.engine import SipEngine


class EnginePhone:
    """Implements :class:`softphone.core.phone.PhoneCommands` and
    :class:`softphone.core.phone.SoundCommands`.

    ``engine`` returns the engine that runs now: the sign-in's ``RebindingEngine`` replaces its
    ``SipEngine`` when it moves to another local address, so the phone asks for it on every
    command instead of keeping one. Thread-safe, like the engine's methods.
    """

    def __init__(self, engine: Callable[[], SipEngine], account_id: str = ACCOUNT_ID) -> None:
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
