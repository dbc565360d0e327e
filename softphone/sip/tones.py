"""Call-progress tones played locally, never sent to the far end: ringtone, call waiting,
ringback, busy, reorder, and DTMF feedback.

``LocalTones`` keeps a plain view of each call, which ``Calls`` updates through hooks on the SIP
thread, asks ``tone_choice.choose`` after every change, and drives tone outputs
(``tone_output``: pjsua2 ``ToneGenerator`` ports on the conference bridge) to match. It emits
``LocalToneChanged`` on the SIP thread. ``NoTones`` (:mod:`softphone.sip.tone_hooks`) is the
same hooks doing nothing.

The ringtone is the user's choice (``cadences.RINGTONES``); ``preview`` plays one for
``PREVIEW_S`` on the ringer device (or the speaker) on a generator of its own, and the first
real tone stops it.

Cadences run inside the tone generator; the SIP thread's timer heap ends busy/reorder after
``ENDED_TONE_S`` and repeats the call-waiting beep. Only one signal tone sounds at a time
(``tone_choice``); DTMF feedback has its own generator and mixes over them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.models import Ringtone
from softphone.sip.cadences import CADENCES, PREVIEW_S, RINGTONES, Tone
from softphone.sip.timers import TimerHandle, Timers
from softphone.sip.tone_choice import CallView, choose, ended_tone
from softphone.sip.tone_hooks import NoTones
from softphone.sip.tone_output import ToneGeneratorOutput, ToneOutput, ToneSinks

_log = logging.getLogger(__name__)

ENDED_TONE_S = 3.0  # how long busy / reorder sound after an outgoing call failed
CALL_WAITING_EVERY_S = 10.0


Emit = Callable[[ev.Event], None]


class LocalTones(NoTones):
    """Plays the tone ``choose`` picks for the calls' current states. Emits ``LocalToneChanged``
    on the SIP thread; every method runs there. Hooks never raise: a tone must not break a call.
    """

    def __init__(
        self,
        sinks: ToneSinks,
        timers: Timers,
        emit: Emit,
        make_output: Callable[[], ToneOutput] = ToneGeneratorOutput,
        ringtone: Ringtone = Ringtone.WARBLE,
    ) -> None:
        self._sinks: ToneSinks | None = sinks
        self._ringtone = ringtone
        self._make_output = make_output
        self._timers = timers
        self._emit = emit
        self._views: dict[str, CallView] = {}
        self._by_user: set[str] = set()
        self._ended: tuple[Tone, str] | None = None
        self._ended_timer: TimerHandle | None = None
        self._repeat_timer: TimerHandle | None = None
        self._playing: tuple[Tone, str] | None = None
        # created on first use: an agent whose calls VICIdial answers by itself never needs one
        self._signal: ToneOutput | None = None
        self._digits: ToneOutput | None = None
        self._preview: ToneOutput | None = None
        self._preview_timer: TimerHandle | None = None
        self._closed = False

    @property
    def playing(self) -> tuple[Tone, str] | None:
        return self._playing

    # ---- hooks (Calls) ------------------------------------------------------------------------

    def incoming(self, call_id: str) -> None:
        """An incoming call rings here (it is not answered automatically at once)."""

        def ring() -> None:
            view = self._views.get(call_id)
            view = view or CallView(call_id, ev.Direction.INBOUND, ev.CallState.INCOMING)
            self._update(call_id, view=view, rings=True)

        self._guard("incoming", ring)

    def call_state(
        self,
        call_id: str,
        direction: ev.Direction,
        state: ev.CallState,
        *,
        sip_code: int,
        connected: bool,
    ) -> None:
        def changed() -> None:
            if state is ev.CallState.DISCONNECTED:
                self._ended_call(call_id, direction, sip_code, connected)
                return
            view = self._views.get(call_id) or CallView(call_id, direction, state)
            self._update(
                call_id,
                view=view,
                state=state,
                alerted=view.alerted or state is ev.CallState.RINGING,
            )

        self._guard("call_state", changed)

    def media(self, call_id: str, active: bool) -> None:
        """The call's audio became (in)active: early media ends ringback."""
        self._guard(
            "media", lambda: self._update(call_id, media=active) if call_id in self._views else None
        )

    def hung_up(self, call_id: str) -> None:
        """The user ended or cancelled this call: no busy/reorder for it."""
        self._by_user.add(call_id)

    def dtmf(self, digits: str) -> None:
        """The user sent DTMF: let them hear it."""

        def play() -> None:
            assert self._sinks is not None
            if self._digits is None:
                self._digits = self._make_output()
                self._digits.route(self._sinks.speaker())
            self._digits.play_digits(digits)

        self._guard("dtmf", play)

    # ---- the ringtone choice (engine commands: errors reach the caller) ---------------------

    @property
    def ringtone(self) -> Ringtone:
        return self._ringtone

    def set_ringtone(self, ringtone: Ringtone) -> None:
        """From now on, and at once for a call ringing now (silent stops it, a sound starts)."""
        if self._closed:
            return
        self._ringtone = ringtone
        playing = self._playing
        if playing is not None and playing[0] is Tone.RINGTONE:
            self._stop_signal()
            self._playing = None
            self._refresh()
            if self._playing is None:
                self._emit(ev.LocalToneChanged(tone=None, call_id=None))
        else:
            self._refresh()

    def preview(self, ringtone: Ringtone) -> float:
        """Play ``ringtone`` for PREVIEW_S where a call would ring; returns how long (0 for
        none). A new preview replaces the last; a real tone stops it."""
        self.stop_preview()
        cadence = RINGTONES[ringtone]
        if cadence is None or self._closed or self._playing is not None:
            return 0.0  # nothing to play, or a real tone sounds: no sample over it
        assert self._sinks is not None
        if self._preview is None:
            self._preview = self._make_output()
        self._preview.route(self._sinks.ringer() or self._sinks.speaker())
        self._preview.play(cadence)
        self._preview_timer = self._timers.call_later(PREVIEW_S, self.stop_preview)
        return PREVIEW_S

    def stop_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.cancel()
            self._preview_timer = None
        if self._preview is not None:
            self._preview.stop()
            self._preview.disconnect()

    @property
    def previewing(self) -> bool:
        return self._preview_timer is not None

    def close(self) -> None:
        """Before libDestroy: stop and disconnect every generator, then drop them."""
        if self._closed:
            return
        self._closed = True
        for timer in (self._ended_timer, self._repeat_timer, self._preview_timer):
            if timer is not None:
                timer.cancel()
        self._preview_timer = None
        if self._playing is not None:
            self._playing = None
            self._emit(ev.LocalToneChanged(tone=None, call_id=None))
        for gen in (self._signal, self._digits, self._preview):
            if gen is not None:
                try:
                    gen.close()
                except pj.Error:
                    _log.debug("a tone generator did not stop cleanly")
        self._signal = self._digits = self._preview = None
        self._sinks = None  # it holds the Endpoint
        self._views.clear()

    # ---- deciding -----------------------------------------------------------------------------

    def _guard(self, what: str, action: Callable[[], None]) -> None:
        if self._closed:
            return
        try:
            action()
        except Exception:
            _log.exception("local tones: %s failed", what)

    def _update(self, call_id: str, view: CallView | None = None, **changes: Any) -> None:
        current = view or self._views.get(call_id)
        if current is None:
            return
        if call_id not in self._views:
            self._new_call()
        self._views[call_id] = replace(current, **changes)
        self._refresh()

    def _new_call(self) -> None:
        # Busy or reorder from the last attempt gives way to whatever the user does next.
        self._ended = None
        if self._ended_timer is not None:
            self._ended_timer.cancel()
            self._ended_timer = None

    def _ended_call(
        self, call_id: str, direction: ev.Direction, sip_code: int, connected: bool
    ) -> None:
        self._views.pop(call_id, None)
        by_user = call_id in self._by_user
        self._by_user.discard(call_id)
        tone = ended_tone(
            direction=direction, connected=connected, sip_code=sip_code, by_user=by_user
        )
        if tone is not None:
            self._new_call()
            self._ended = (tone, call_id)
            self._ended_timer = self._timers.call_later(ENDED_TONE_S, self._ended_over)
        self._refresh()

    def _ended_over(self) -> None:
        def over() -> None:
            self._ended, self._ended_timer = None, None
            self._refresh()

        self._guard("ended_over", over)

    def _refresh(self) -> None:
        wanted = choose(self._views.values(), self._ended)
        if wanted is not None and wanted[0] is Tone.RINGTONE and RINGTONES[self._ringtone] is None:
            wanted = None  # rings silently: the call is still shown, nothing sounds
        if wanted == self._playing:
            return
        if self._playing is not None and self._playing == self._ended:
            self._ended = None  # pre-empted: it does not come back afterwards
        self._stop_signal()
        if wanted is not None:
            try:
                self._start_signal(wanted[0])
            except Exception:
                _log.exception("local tones: the %s could not start", wanted[0])
                wanted = None
        if wanted == self._playing:
            return
        self._playing = wanted
        tone, call_id = wanted if wanted is not None else (None, None)
        self._emit(ev.LocalToneChanged(tone=None if tone is None else tone.value, call_id=call_id))

    def _stop_signal(self) -> None:
        if self._repeat_timer is not None:
            self._repeat_timer.cancel()
            self._repeat_timer = None
        if self._signal is not None:
            self._signal.stop()
            self._signal.disconnect()

    def _start_signal(self, tone: Tone) -> None:
        assert self._sinks is not None
        self.stop_preview()  # a real call's tone, not a sample of one
        if self._signal is None:
            self._signal = self._make_output()
        sink = self._sinks.ringer() if tone is Tone.RINGTONE else None
        self._signal.route(sink if sink is not None else self._sinks.speaker())
        cadence = RINGTONES[self._ringtone] if tone is Tone.RINGTONE else CADENCES[tone]
        assert cadence is not None  # a silent ringtone is never started (_refresh)
        self._signal.play(cadence)
        if tone is Tone.CALL_WAITING:
            self._repeat_timer = self._timers.call_later(CALL_WAITING_EVERY_S, self._beep_again)

    def _beep_again(self) -> None:
        def beep() -> None:
            self._repeat_timer = None
            if self._playing is not None and self._playing[0] is Tone.CALL_WAITING:
                assert self._signal is not None
                self._signal.play(CADENCES[Tone.CALL_WAITING])
                self._repeat_timer = self._timers.call_later(CALL_WAITING_EVERY_S, self._beep_again)

        self._guard("call_waiting", beep)
