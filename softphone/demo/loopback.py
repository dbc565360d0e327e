"""The loopback demo (`vicifast-phone demo --loopback`): no server, no network, no sound card.

Two accounts in one engine, not registered: a "dialer" calls the "agent" the way VICIdial pulls
an agent's phone into a session (``Call-Info: answer-after=0``); the agent answers by itself, the
dialer sends DTMF, holds, resumes and hangs up. Every event is printed as it happens.
"""

from __future__ import annotations

import json
import queue
import sys
from collections.abc import Callable
from typing import TextIO

from softphone.core import events as ev
from softphone.core.errors import VicifastError
from softphone.core.models import AutoAnswerPolicy, EngineConfig, SipAccountConfig
from softphone.core.secret import Secret
from softphone.sip.engine import SipEngine

_STEP_TIMEOUT_S = 10.0


def run_loopback_demo(out: TextIO = sys.stdout, *, as_json: bool = False) -> int:
    events: queue.SimpleQueue[ev.Event] = queue.SimpleQueue()
    engine = SipEngine(events.put, EngineConfig(bind_address="127.0.0.1"))

    def show(event: ev.Event) -> None:
        if as_json:
            out.write(json.dumps(event.to_dict()) + "\n")
        else:
            data = event.to_dict()
            name, _ = data.pop("event"), data.pop("at")
            shown = {k: v for k, v in data.items() if v not in ("", None, 0, 0.0)}
            out.write(f"{name:<18} {shown}\n")
        out.flush()

    def wait_for(what: str, match: Callable[[ev.Event], bool]) -> ev.Event:
        while True:
            try:
                event = events.get(timeout=_STEP_TIMEOUT_S)
            except queue.Empty:
                raise VicifastError(f"The demo stopped: no {what} within 10 s.") from None
            show(event)
            if match(event):
                return event

    try:
        engine.start()
        account = SipAccountConfig(
            extension="agent",
            password=Secret("demo"),
            domain="127.0.0.1",
            register=False,
            auto_answer=AutoAnswerPolicy(),
        )
        engine.add_account(account, "agent").result(_STEP_TIMEOUT_S)
        dialer = engine.add_account(
            SipAccountConfig(
                extension="dialer",
                password=Secret("demo"),
                domain="127.0.0.1",
                register=False,
                display_name="VICIdial",
            ),
            "dialer",
        ).result(_STEP_TIMEOUT_S)
        hostport = engine.snapshot().result(_STEP_TIMEOUT_S).transports["udp"]
        call = engine.make_call(
            dialer, f"sip:agent@{hostport}", {"Call-Info": "<sip:127.0.0.1>;answer-after=0"}
        ).result(_STEP_TIMEOUT_S)
        wait_for(
            "auto-answered call",
            lambda e: (
                isinstance(e, ev.CallStateChanged)
                and e.call_id == call
                and e.state is ev.CallState.CONFIRMED
            ),
        )
        engine.send_dtmf(call, "1234#").result(_STEP_TIMEOUT_S)
        wait_for("DTMF", lambda e: isinstance(e, ev.DtmfReceived) and e.digit == "#")
        engine.hold(call).result(_STEP_TIMEOUT_S)
        wait_for(
            "hold",
            lambda e: (
                isinstance(e, ev.CallMediaChanged)
                and e.call_id == call
                and e.hold is ev.HoldState.LOCAL
            ),
        )
        engine.unhold(call).result(_STEP_TIMEOUT_S)
        wait_for(
            "resume",
            lambda e: (
                isinstance(e, ev.CallMediaChanged)
                and e.call_id == call
                and e.hold is ev.HoldState.NONE
            ),
        )
        engine.hangup(call).result(_STEP_TIMEOUT_S)
        wait_for(
            "hang-up",
            lambda e: (
                isinstance(e, ev.CallStateChanged)
                and e.call_id == call
                and e.state is ev.CallState.DISCONNECTED
            ),
        )
    except VicifastError as err:
        out.write(f"error: {err}\n")
        return 1
    finally:
        engine.stop()
        while not events.empty():
            show(events.get_nowait())
    return 0
