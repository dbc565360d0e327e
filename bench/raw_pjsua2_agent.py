"""Baseline: the least a pjsua2 program needs to register, call and auto-answer.

This is what "raw pjsua2" means in bench/RESULTS.md: one Endpoint, one Account, one thread that
created the library and polls it with ``libHandleEvents(20)``, no queue, no event objects, no
policies. It prints one JSON object per line (``{"event": ..., "at": <wall clock>}``) so the
benchmark reads it like the agent's ``--json`` output; every other line (libCreate prints a few
before logging is configured) is to be ignored by the reader.

Runs standalone (only pjsua2 and the standard library), e.g.::

    RAW_SIP_PASSWORD=secret python bench/raw_pjsua2_agent.py --user 1001 --domain 127.0.0.1 \
        --proxy 127.0.0.1:5060 --call sip:service@127.0.0.1:5070 --hangup-after 0.05
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import time
from typing import Any

import pjsua2 as pj

POLL_MS = 20


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")
    sys.stdout.flush()


class RawCall(pj.Call):  # type: ignore[misc]
    def __init__(self, agent: RawAgent, acc: pj.Account, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(acc, call_id)
        self.agent = agent
        self.confirmed = False

    def onCallState(self, prm: Any) -> None:
        state = self.getInfo().state
        if state == pj.PJSIP_INV_STATE_CONFIRMED and not self.confirmed:
            self.confirmed = True
            emit("confirmed")
            self.agent.on_confirmed(self)
        elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
            emit("disconnected", connected=self.confirmed)
            self.agent.on_disconnected(self)

    def onCallMediaState(self, prm: Any) -> None:
        # Connect the audio to the null device, as any softphone does (and as our engine does).
        info = self.getInfo()
        for i in range(len(info.media)):
            media = info.media[i]
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                audio = self.getAudioMedia(i)
                adm = pj.Endpoint.instance().audDevManager()
                audio.startTransmit(adm.getPlaybackDevMedia())
                adm.getCaptureDevMedia().startTransmit(audio)


class RawAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, agent: RawAgent) -> None:
        super().__init__()
        self.agent = agent
        self.registered = False

    def onRegState(self, prm: Any) -> None:
        info = self.getInfo()
        now_registered = info.regIsActive and prm.code == 200
        if now_registered and not self.registered:
            emit("registered", code=int(prm.code))
        elif not now_registered and prm.code >= 300:
            emit("registration_failed", code=int(prm.code))
        self.registered = bool(now_registered)
        self.agent.on_registration(self.registered)

    def onIncomingCall(self, prm: Any) -> None:
        emit("incoming")
        call = RawCall(self.agent, self, prm.callId)
        self.agent.calls.append(call)  # a dropped Call object would decline the call
        if self.agent.args.answer:
            op = pj.CallOpParam(True)
            op.statusCode = 200
            call.answer(op)


class RawAgent:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.calls: list[RawCall] = []
        self.placed = 0
        self.ended = 0
        self.done = False
        self.hangup_at: list[tuple[float, RawCall]] = []
        self.dial_at: float | None = None

    # ---- callbacks (all on this one thread, inside libHandleEvents) ------------------------

    def on_registration(self, registered: bool) -> None:
        if registered and self.args.call and self.placed == 0:
            self.dial_at = time.monotonic()

    def on_confirmed(self, call: RawCall) -> None:
        if self.args.hangup_after is not None:
            self.hangup_at.append((time.monotonic() + self.args.hangup_after, call))

    def on_disconnected(self, call: RawCall) -> None:
        self.hangup_at = [(t, c) for t, c in self.hangup_at if c is not call]
        if call in self.calls:
            self.calls.remove(call)
        self.ended += 1
        if self.args.call and self.placed < self.args.calls:
            self.dial_at = time.monotonic() + self.args.gap
        elif self.args.calls and self.ended >= self.args.calls:
            self.done = True

    # ---- the loop --------------------------------------------------------------------------

    def dial(self, acc: RawAccount) -> None:
        self.dial_at = None
        self.placed += 1
        call = RawCall(self, acc)
        self.calls.append(call)
        emit("dialing")
        call.makeCall(self.args.call, pj.CallOpParam(True))

    def run(self, ep: pj.Endpoint, acc: RawAccount) -> None:
        deadline = None if self.args.duration is None else time.monotonic() + self.args.duration
        while not self.done and (deadline is None or time.monotonic() < deadline):
            ep.libHandleEvents(POLL_MS)
            now = time.monotonic()
            for when, call in [h for h in self.hangup_at if h[0] <= now]:
                self.hangup_at.remove((when, call))
                call.hangup(pj.CallOpParam(True))
            if self.dial_at is not None and self.dial_at <= now:
                self.dial(acc)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--user", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--proxy", required=True, help="host:port of the outbound proxy (UDP)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--call", default="", help="SIP URI to call once registered")
    parser.add_argument("--calls", type=int, default=0, help="calls to place (one after another)")
    parser.add_argument("--hangup-after", type=float, help="hang up S seconds after CONFIRMED")
    parser.add_argument("--gap", type=float, default=0.05, help="pause between calls (s)")
    parser.add_argument("--answer", action="store_true", help="answer every incoming call 200")
    parser.add_argument("--duration", type=float, help="exit after S seconds")
    args = parser.parse_args(argv)
    if args.call and not args.calls:
        args.calls = 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    password = os.environ.get("RAW_SIP_PASSWORD", "")
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.boundAddress = args.bind
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    emit("started")

    agent = RawAgent(args)
    acc = RawAccount(agent)
    ac = pj.AccountConfig()
    ac.idUri = f"sip:{args.user}@{args.domain}"
    ac.regConfig.registrarUri = f"sip:{args.domain}"
    ac.sipConfig.proxies.append(f"sip:{args.proxy};lr")
    ac.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", args.user, 0, password))
    ac.mediaConfig.transportConfig.boundAddress = args.bind
    acc.create(ac)

    def finish(_signum: int, _frame: object) -> None:
        # A flag, not an exception: one raised inside a pjsua2 callback would not unwind cleanly.
        agent.done = True

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    agent.run(ep, acc)
    # Orderly stop: a Call or Account still alive at libDestroy aborts the process.
    for call in list(agent.calls):
        call.hangup(pj.CallOpParam(True))
    stop_by = time.monotonic() + 2.0
    while agent.calls and time.monotonic() < stop_by:
        ep.libHandleEvents(10)
    agent.calls.clear()
    if acc.registered:
        acc.setRegistration(False)
        while acc.registered and time.monotonic() < stop_by:
            ep.libHandleEvents(10)
    acc.shutdown()
    del acc
    gc.collect()
    # Calls ended and unregistered above: without NO_NETWORK libDestroy idles ~1 s for them.
    ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
    emit("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
