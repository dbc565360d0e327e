"""A fake ``PhoneCommands`` and the engine's call events with plausible fields, for GUI tests."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from softphone.core import events as ev
from softphone.core.errors import VicifastError
from softphone.core.models import Ringtone

ACCOUNT = "acc-1"


class FakePhone:
    """Records each command; returns a completed Future (or a failed one, if told to).
    Implements ``PhoneCommands`` and ``SoundCommands``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.failures: dict[str, BaseException] = {}
        self.pending: dict[str, Future[Any]] = {}  # commands whose Future the test completes
        self._next = 0

    def fail_next(self, command: str, error: BaseException) -> None:
        self.failures[command] = error

    def hold_open(self, command: str) -> Future[Any]:
        """The next ``command`` returns this Future, which the test completes when it likes."""
        future: Future[Any] = Future()
        self.pending[command] = future
        return future

    def named(self, command: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == command]

    def _run(self, command: str, args: tuple[Any, ...], result: Any = None) -> Future[Any]:
        self.calls.append((command, args))
        if command in self.pending:
            return self.pending.pop(command)
        future: Future[Any] = Future()
        error = self.failures.pop(command, None)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
        return future

    def make_call(self, target: str) -> Future[str]:
        self._next += 1
        return self._run("make_call", (target,), f"out-{self._next}")

    def answer(self, call_id: str) -> Future[None]:
        return self._run("answer", (call_id,))

    def reject(self, call_id: str, code: int = 486) -> Future[None]:
        return self._run("reject", (call_id, code))

    def hangup(self, call_id: str) -> Future[None]:
        return self._run("hangup", (call_id,))

    def hold(self, call_id: str) -> Future[None]:
        return self._run("hold", (call_id,))

    def unhold(self, call_id: str) -> Future[None]:
        return self._run("unhold", (call_id,))

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        return self._run("set_mute", (call_id, muted))

    def send_dtmf(self, call_id: str, digits: str) -> Future[None]:
        return self._run("send_dtmf", (call_id, digits))

    def transfer(self, call_id: str, target: str) -> Future[None]:
        return self._run("transfer", (call_id, target))

    def transfer_attended(self, call_id: str, to_call_id: str) -> Future[None]:
        return self._run("transfer_attended", (call_id, to_call_id))

    def set_levels(self, speaker: float, mic: float) -> Future[None]:
        return self._run("set_levels", (speaker, mic))

    def set_ringtone(self, ringtone: Ringtone) -> Future[None]:
        return self._run("set_ringtone", (ringtone,))

    def preview_ringtone(self, ringtone: Ringtone) -> Future[float]:
        return self._run("preview_ringtone", (ringtone,), 0.0 if ringtone is Ringtone.NONE else 5.0)

    def stop_ringtone_preview(self) -> Future[None]:
        return self._run("stop_ringtone_preview", ())


def state(
    call_id: str,
    call_state: ev.CallState,
    *,
    direction: ev.Direction = ev.Direction.OUTBOUND,
    number: str = "5550102030",
    display: str = "Alice Smith",
    **fields: Any,
) -> ev.CallStateChanged:
    return ev.CallStateChanged(
        call_id=call_id,
        account_id=ACCOUNT,
        state=call_state,
        direction=direction,
        remote_uri=f"sip:{number}@pbx.example.com",
        remote_number=number,
        remote_display=display,
        connected=fields.pop("connected", call_state is ev.CallState.CONFIRMED),
        **fields,
    )


def incoming(
    call_id: str,
    *,
    number: str = "5550109999",
    display: str = "Bob Jones",
    waiting: bool = False,
    auto_answer_in_s: float | None = None,
    **fields: Any,
) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id=ACCOUNT,
        remote_uri=f"sip:{number}@pbx.example.com;transport=udp",
        remote_number=number,
        remote_display=display,
        auto_answer_in_s=auto_answer_in_s,
        auto_answer_reason=None if auto_answer_in_s is None else ev.AnswerReason.HEADER,
        waiting=waiting,
        **fields,
    )


def media(
    call_id: str, hold: ev.HoldState = ev.HoldState.NONE, *, muted: bool = False
) -> ev.CallMediaChanged:
    return ev.CallMediaChanged(
        call_id=call_id, hold=hold, muted=muted, active=hold is ev.HoldState.NONE, codec="PCMU"
    )


__all__ = ["ACCOUNT", "FakePhone", "VicifastError", "incoming", "media", "state"]
