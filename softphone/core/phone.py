"""What the phone screens may ask of the SIP engine, for the signed-in account.

Widgets take a ``PhoneCommands`` and an ``EventBus`` in ``__init__`` and never hold the engine
(STYLE: a widget receives its model or service, subscribes to events).
``softphone.core.engine.EnginePhone`` implements them over the running engine, bound to the
signed-in account; tests use a fake. Every method
returns at once with a Future that the engine completes on its thread; the events that follow
(``CallStateChanged``, ``CallMediaChanged`` …) arrive on the bus on the GUI thread.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Protocol

from softphone.core.models import Ringtone


class CallCommands(Protocol):
    """Commands on a call, by its id: the same on the phone screens and on the engine."""

    def answer(self, call_id: str) -> Future[None]: ...

    def reject(self, call_id: str, code: int = 486) -> Future[None]: ...

    def hangup(self, call_id: str) -> Future[None]: ...

    def hold(self, call_id: str) -> Future[None]: ...

    def unhold(self, call_id: str) -> Future[None]: ...

    def set_mute(self, call_id: str, muted: bool) -> Future[None]: ...

    def transfer(self, call_id: str, target: str) -> Future[None]:
        """Blind transfer (REFER)."""
        ...

    def transfer_attended(self, call_id: str, to_call_id: str) -> Future[None]:
        """Attended transfer: connect ``call_id``'s far end to ``to_call_id``'s (Replaces)."""
        ...


class PhoneCommands(CallCommands, Protocol):
    def make_call(self, target: str) -> Future[str]:
        """Dial a number or SIP URI from the current account; the Future holds the call id."""
        ...

    def send_dtmf(self, call_id: str, digits: str) -> Future[None]: ...


class SoundCommands(Protocol):
    """What the Settings page asks of the engine's sound, for every call (not one account).

    Like ``PhoneCommands``: each method returns at once; the engine applies it on its thread.
    """

    def set_levels(self, speaker: float, mic: float) -> Future[None]:
        """Speaker and microphone gains (1.0 unchanged, 0 silent, at most 2.0)."""
        ...

    def set_ringtone(self, ringtone: Ringtone) -> Future[None]:
        """The ringtone for incoming calls (``Ringtone.NONE`` rings silently)."""
        ...

    def preview_ringtone(self, ringtone: Ringtone) -> Future[float]:
        """Play it where calls ring for a few seconds; the Future holds how long (0: nothing)."""
        ...

    def stop_ringtone_preview(self) -> Future[None]: ...
