"""Our engine (``softphone.sip.engine.SipEngine``) driven directly, in its own process.

Two jobs the headless agent cannot do from its command line:

- ``--mode sequential``: one account places N calls one after the other (the agent places one
  call per process), to time warm call setup of the engine itself;
- ``--mode concurrent``: up to 8 accounts register and up to 4 calls are held at once (the
  wheel's limits), so bench/limits.py can time registration and sample CPU and RSS from outside;
- ``--mode answer``: one account auto-answers (``header`` policy) until SIGINT, with nothing
  printed per call, to tell the engine's answer time from the agent's event printing.

Prints one JSON object per line with an ``at`` wall-clock time, like the agent's ``--json``.
The password comes from $BENCH_SIP_PASSWORD. Run with ``python -m bench.engine_driver``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import Any

from softphone.core import events as ev
from softphone.core.models import (
    AutoAnswerMode,
    AutoAnswerPolicy,
    EngineConfig,
    SipAccountConfig,
    Transport,
)
from softphone.core.secret import Secret
from softphone.sip.engine import SipEngine
from tests.enginekit.recorder import EventRecorder

TIMEOUT_S = 15.0


def say(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")
    sys.stdout.flush()


def account(user: str, proxy_port: int, answer: AutoAnswerMode) -> SipAccountConfig:
    # The agent's own defaults, as `vicifast-phone agent --server 127.0.0.1 --proxy 127.0.0.1
    # --port P --extension U --answer off|header` would build them.
    return SipAccountConfig(
        extension=user,
        password=Secret(os.environ["BENCH_SIP_PASSWORD"]),
        domain="127.0.0.1",
        proxy="127.0.0.1",
        port=proxy_port,
        transport=Transport.UDP,
        auto_answer=AutoAnswerPolicy(answer),
    )


def register_all(
    engine: SipEngine,
    rec: EventRecorder,
    users: list[str],
    port: int,
    answer: AutoAnswerMode = AutoAnswerMode.OFF,
) -> list[str]:
    began = time.time()
    say("registering", accounts=len(users))
    ids = [engine.add_account(account(u, port, answer), f"acc{u}").result(TIMEOUT_S) for u in users]
    for account_id in ids:
        rec.wait(
            ev.RegistrationChanged,
            TIMEOUT_S,
            account_id=account_id,
            state=ev.RegistrationState.REGISTERED,
        )
    last = max(
        e.at
        for e in rec.of(ev.RegistrationChanged, state=ev.RegistrationState.REGISTERED)
        if e.account_id in ids
    )
    say("all_registered", accounts=len(ids), ms=(last - began) * 1000)
    return ids


def sequential(engine: SipEngine, rec: EventRecorder, args: argparse.Namespace) -> None:
    [account_id] = register_all(engine, rec, args.users, args.proxy_port)
    pause = threading.Event()  # never set: wait() is a bounded sleep
    for _ in range(args.calls):
        mark = rec.mark()
        dialed = time.time()
        call_id = engine.make_call(account_id, args.target).result(TIMEOUT_S)
        up = rec.wait(
            ev.CallStateChanged,
            TIMEOUT_S,
            after=mark,
            call_id=call_id,
            state=ev.CallState.CONFIRMED,
        )
        say("confirmed", call_id=call_id, dialed=dialed, confirmed=up.at)
        pause.wait(args.hangup_after)
        engine.hangup(call_id).result(TIMEOUT_S)
        rec.wait(
            ev.CallStateChanged,
            TIMEOUT_S,
            after=mark,
            call_id=call_id,
            state=ev.CallState.DISCONNECTED,
        )
        pause.wait(args.gap)


def concurrent(engine: SipEngine, rec: EventRecorder, args: argparse.Namespace) -> None:
    ids = register_all(engine, rec, args.users, args.proxy_port)
    mark = rec.mark()
    callers = [ids[i % len(ids)] for i in range(args.calls)]
    call_ids = [engine.make_call(a, args.target).result(TIMEOUT_S) for a in callers]
    for call_id in call_ids:
        rec.wait(
            ev.CallStateChanged,
            TIMEOUT_S,
            after=mark,
            call_id=call_id,
            state=ev.CallState.CONFIRMED,
        )
    say("calls_up", calls=len(call_ids))
    threading.Event().wait(args.hold)  # bench/limits.py samples this process meanwhile
    for call_id in call_ids:
        engine.hangup(call_id).result(TIMEOUT_S)
    for call_id in call_ids:
        rec.wait(
            ev.CallStateChanged,
            TIMEOUT_S,
            after=mark,
            call_id=call_id,
            state=ev.CallState.DISCONNECTED,
        )
    say("calls_down", calls=len(call_ids))


def answer(engine: SipEngine, rec: EventRecorder, args: argparse.Namespace) -> None:
    register_all(engine, rec, args.users, args.proxy_port, AutoAnswerMode.HEADER)
    say("ready")
    # Answering happens on the SIP thread; this one only waits, as quietly as the agent's loop
    # would, until SIGINT (KeyboardInterrupt) ends the run.
    while True:
        time.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", choices=["sequential", "concurrent", "answer"], required=True)
    parser.add_argument("--proxy-port", type=int, required=True, help="kamailio's UDP port")
    parser.add_argument("--users", nargs="+", required=True)
    parser.add_argument("--target", default="", help="SIP URI to call")
    parser.add_argument("--calls", type=int, default=1)
    parser.add_argument("--hangup-after", type=float, default=0.05)
    parser.add_argument("--gap", type=float, default=0.05, help="pause between calls")
    parser.add_argument("--hold", type=float, default=10.0, help="concurrent: hold calls S s")
    args = parser.parse_args(argv)
    rec = EventRecorder()
    engine = SipEngine(rec, EngineConfig(bind_address="127.0.0.1"))
    engine.start()
    say("engine_started")
    modes = {"sequential": sequential, "concurrent": concurrent, "answer": answer}
    try:
        modes[args.mode](engine, rec, args)
    except KeyboardInterrupt:
        pass  # the benchmark's way of saying "done" (SIGINT)
    finally:
        engine.stop()
    failures = [e for e in rec.events if isinstance(e, ev.CommandFailed)]
    say("stopped", command_failures=len(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
