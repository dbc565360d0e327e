"""The demo's far end: an echo line and a tone line, a pjsua2 endpoint in a process of its own.

``python -m softphone.demo.lines --host 127.0.0.1 [--registrar HOST:PORT]`` stands for the
employer's PBX in demo mode (``softphone/demo/headless.py`` starts it). Its lines:

- ``echo`` (600) answers and sends back what it hears (the call's audio transmitted to itself);
- ``tone`` (601) answers and plays a steady 1 kHz tone.

With ``--registrar`` both lines register there, with the digest password that the first line on
stdin holds; without it they are reached directly on ``--host:--port``.
Commands, one a line on stdin:

- ``ring SIP-URI [SECONDS]``: the tone line calls the agent with
  ``Call-Info: …;answer-after=0``, as VICIdial does to pull an agent's phone into a session,
  and gives up (CANCEL) if the call is not answered within SECONDS (default 60);
- ``ring-plain SIP-URI [SECONDS]``: the tone line calls the agent like any caller, without the
  auto-answer request, and gives up after SECONDS (default 20): a missed call on the agent's
  phone, unless the agent answers first;
- ``hangup`` ends every call, ``quit`` (or EOF, or SIGTERM) stops the process.

SECONDS is a number above 0 and at most 3600; a command it cannot take is reported as an
``error``.

It reports one JSON object per line on stdout (``ready``, ``call``, ``error``; a ``call`` whose
ring it gave up on reports the state ``given_up`` before ``disconnected``); pjsua2 may print a few
other lines first, which the reader skips. Besides ``softphone.sip`` this is the one module
that imports pjsua2 (the import contracts allow exactly these): it is a stand-in for a server,
not part of the app, and it runs in a child process because one process holds one pjsua2
library.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import queue
import signal
import sys
import threading
import time
from typing import Any

import pjsua2 as pj

from softphone.desktop.hardening import harden_process

LINES = {"echo": "600", "tone": "601"}
TONE_HZ = 1000
AUTO_ANSWER_HEADER = ("Call-Info", "<sip:{host}>;answer-after=0")
RING_GIVE_UP_S = 60.0  # ``ring``: auto-answered at once, so this is only a bound
PLAIN_RING_GIVE_UP_S = 20.0  # ``ring-plain``: how long a caller waits before hanging up
_MAX_GIVE_UP_S = 3600.0
_POLL_MS = 20
_STATS_EVERY_S = 0.5
_STOP_GRACE_S = 2.0
_REGISTER_TIMEOUT_S = 10.0


def _say(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class _LineCall(pj.Call):  # type: ignore[misc]
    """One call of a line; the peer keeps it until DISCONNECTED (pjsua2's lifetime rules)."""

    def __init__(self, peer: _Peer, line: str, acc: pj.Account, call_id: int, direction: str):
        super().__init__(acc, call_id)
        self.peer, self.line, self.direction = peer, line, direction
        self.confirmed = self.disconnected = False
        self.tone: pj.ToneGenerator | None = None
        self.rx_packets = self.tx_packets = 0
        self.give_up_at: float | None = None  # monotonic; an outgoing ring not yet answered

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.confirmed:
            self.confirmed = True
            self.peer.report(self, "confirmed")
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.disconnected = True
            self.peer.report(self, "disconnected", code=int(info.lastStatusCode))
            self.peer.forget(self)

    def onCallMediaState(self, prm: Any) -> None:
        info = self.getInfo()
        media = info.media  # hold the parent: members of temporaries read freed memory
        for i in range(len(media)):
            item = media[i]
            if item.type != pj.PJMEDIA_TYPE_AUDIO or item.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            audio = self.getAudioMedia(i)
            if self.line == "echo":
                audio.startTransmit(audio)
            elif self.tone is None:
                self.tone = _tone_generator()
                self.tone.startTransmit(audio)

    def onStreamDestroyed(self, prm: Any) -> None:
        self.sample_stats()  # the last moment the stream's counters can be read

    def sample_stats(self) -> None:
        with contextlib.suppress(pj.Error):
            stat = self.getStreamStat(0)
            rtcp = stat.rtcp
            rx, tx = rtcp.rxStat, rtcp.txStat
            self.rx_packets, self.tx_packets = int(rx.pkt), int(tx.pkt)


def _tone_generator() -> pj.ToneGenerator:
    generator = pj.ToneGenerator()
    generator.createToneGenerator()
    tones = pj.ToneDescVector()
    desc = pj.ToneDesc()
    desc.freq1, desc.freq2, desc.on_msec, desc.off_msec, desc.volume = TONE_HZ, 0, 1000, 0, 0
    tones.append(desc)
    generator.play(tones, True)
    return generator


class _LineAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, peer: _Peer, line: str) -> None:
        super().__init__()
        self.peer, self.line = peer, line
        self.registered = False

    def onRegState(self, prm: Any) -> None:
        self.registered = int(prm.code) == 200 and int(prm.expiration) > 0

    def onIncomingCall(self, prm: Any) -> None:
        call = _LineCall(self.peer, self.line, self, prm.callId, "in")
        self.peer.keep(call)  # without a reference pjsua2 declines the call
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)


class _Peer:
    """The endpoint, on the thread that created it (every callback runs there too)."""

    def __init__(self, host: str, port: int, registrar: str, password: str) -> None:
        self.host, self.registrar = host, registrar
        self.calls: list[_LineCall] = []
        self.accounts: dict[str, _LineAccount] = {}
        self.ep = pj.Endpoint()
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.userAgent = "VICIfast-demo-lines"
        cfg.logConfig.level = cfg.logConfig.consoleLevel = 0
        cfg.medConfig.noVad = True
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        tcfg = pj.TransportConfig()
        tcfg.boundAddress, tcfg.port = host, port
        self.transport = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.port = int(self.ep.transportGetInfo(self.transport).localName.rsplit(":", 1)[1])
        self.ep.libStart()
        for line, extension in LINES.items():
            self.accounts[line] = self._account(line, extension, password)

    def _account(self, line: str, extension: str, password: str) -> _LineAccount:
        cfg = pj.AccountConfig()
        cfg.sipConfig.transportId = self.transport
        cfg.mediaConfig.transportConfig.boundAddress = self.host
        if self.registrar:
            cfg.idUri = f"sip:{extension}@{self.registrar}"
            cfg.regConfig.registrarUri = f"sip:{self.registrar}"
            cfg.sipConfig.proxies.append(f"sip:{self.registrar};lr")
            cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", extension, 0, password))
        else:
            cfg.idUri = f"sip:{extension}@{self.host}:{self.port}"
            cfg.regConfig.registerOnAdd = False
        acc = _LineAccount(self, line)
        acc.create(cfg)
        return acc

    def line_uris(self) -> dict[str, str]:
        where = self.registrar or f"{self.host}:{self.port}"
        return {line: f"sip:{ext}@{where}" for line, ext in LINES.items()}

    def keep(self, call: _LineCall) -> None:
        self.calls.append(call)

    def forget(self, call: _LineCall) -> None:
        # Drop every reference at DISCONNECTED: a Call collected later hangs up whichever
        # call reuses its slot. The tone generator goes with it (stopped first).
        if call.tone is not None:
            with contextlib.suppress(pj.Error):
                call.tone.stop()
            call.tone = None
        with contextlib.suppress(ValueError):
            self.calls.remove(call)

    def report(self, call: _LineCall, state: str, code: int = 0) -> None:
        call.sample_stats()
        _say(
            event="call", line=call.line, direction=call.direction, state=state, code=code,
            rx_packets=call.rx_packets, tx_packets=call.tx_packets,
        )  # fmt: skip

    def ring(self, target: str, give_up_s: float, *, auto_answer: bool = True) -> None:
        """The tone line calls ``target`` (with the auto-answer request, or like any caller)
        and hangs up if it is not answered within ``give_up_s``."""
        call = _LineCall(self, "tone", self.accounts["tone"], pj.PJSUA_INVALID_ID, "out")
        prm = pj.CallOpParam(True)
        if auto_answer:
            header = pj.SipHeader()
            header.hName = AUTO_ANSWER_HEADER[0]
            header.hValue = AUTO_ANSWER_HEADER[1].format(host=self.host)
            prm.txOption.headers.append(header)
        self.keep(call)
        call.give_up_at = time.monotonic() + give_up_s
        try:
            call.makeCall(target, prm)
        except pj.Error as err:
            self.forget(call)
            _say(event="error", message=f"ringing {target} failed: {err.info()}")

    def give_up_unanswered(self) -> None:
        """Hang up (CANCEL) the rings nobody answered in time."""
        now = time.monotonic()
        for call in list(self.calls):
            due = call.give_up_at
            if due is None or call.confirmed or call.disconnected:
                continue
            if now >= due:
                call.give_up_at = None
                self.report(call, "given_up")
                with contextlib.suppress(pj.Error):
                    call.hangup(pj.CallOpParam(True))

    def hang_up_all(self) -> None:
        for call in list(self.calls):
            with contextlib.suppress(pj.Error):
                call.hangup(pj.CallOpParam(True))

    def poll_until(self, done: Any, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                return False
            self.ep.libHandleEvents(_POLL_MS)
        return True

    def close(self, *, polite: bool = True) -> None:
        """Hang up, unregister, drop every pj object, destroy the library (in that order).
        Not ``polite`` (the app that started us was killed): nothing goes on the network, so
        the lines end at once instead of waiting for answers from a world going down too."""
        clean = False
        if polite:
            self.hang_up_all()
            clean = self.poll_until(lambda: not self.calls, _STOP_GRACE_S)
            for acc in self.accounts.values():
                if acc.registered:
                    with contextlib.suppress(pj.Error):
                        acc.setRegistration(False)
            clean = clean and self.poll_until(
                lambda: not any(a.registered for a in self.accounts.values()), _STOP_GRACE_S
            )
        for call in list(self.calls):
            self.forget(call)
        for acc in self.accounts.values():
            acc.shutdown()
        self.accounts.clear()
        gc.collect()
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK if clean or not polite else 0)


def _read_commands(commands: queue.SimpleQueue[str]) -> None:
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put("quit")  # the parent closed our stdin (or went away)


_RING_VERBS = {"ring": RING_GIVE_UP_S, "ring-plain": PLAIN_RING_GIVE_UP_S}


def _ring_command(peer: _Peer, verb: str, arg: str) -> None:
    """``ring``/``ring-plain SIP-URI [SECONDS]`` (see the module's docstring)."""
    words = arg.split()
    give_up_s = _RING_VERBS[verb]
    if len(words) == 2:
        try:
            give_up_s = float(words[1])
        except ValueError:
            give_up_s = -1.0
    if not 1 <= len(words) <= 2 or not 0 < give_up_s <= _MAX_GIVE_UP_S:
        _say(event="error", message=f"usage: {verb} SIP-URI [SECONDS], 0 < SECONDS <= 3600")
        return
    peer.ring(words[0], give_up_s, auto_answer=verb == "ring")


def run(host: str, port: int, registrar: str) -> int:
    password = sys.stdin.readline().rstrip("\n") if registrar else ""
    if registrar and not password:
        _say(event="error", message="no password on stdin for the lines' registration")
        return 2
    parent = os.getppid()  # a different one later: the app died (its death signal came)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    commands: queue.SimpleQueue[str] = queue.SimpleQueue()
    threading.Thread(target=_read_commands, args=(commands,), daemon=True).start()
    peer = _Peer(host, port, registrar, password)
    try:
        accounts = peer.accounts.values()
        if registrar and not peer.poll_until(
            lambda: all(a.registered for a in accounts), _REGISTER_TIMEOUT_S
        ):
            _say(event="error", message=f"the lines did not register at {registrar}")
            return 1
        _say(event="ready", port=peer.port, registered=bool(registrar), lines=peer.line_uris())
        next_stats = time.monotonic()
        while not stopping.is_set():
            with contextlib.suppress(queue.Empty):
                command = commands.get_nowait()
                verb, _, arg = command.partition(" ")
                if verb == "quit":
                    break
                if verb in _RING_VERBS:
                    _ring_command(peer, verb, arg)
                elif verb == "hangup":
                    peer.hang_up_all()
            peer.ep.libHandleEvents(_POLL_MS)
            peer.give_up_unanswered()
            if time.monotonic() >= next_stats:
                next_stats += _STATS_EVERY_S
                for call in peer.calls:
                    if call.confirmed:
                        call.sample_stats()
    finally:
        peer.close(polite=os.getppid() == parent)
    return 0


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # this process's own command line, not a test calling main(ARGS)
        harden_process()
    parser = argparse.ArgumentParser(prog="python -m softphone.demo.lines", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind SIP and RTP to")
    parser.add_argument("--port", type=int, default=0, help="SIP UDP port (0: a free one)")
    parser.add_argument("--registrar", default="", help="HOST:PORT to register the lines at")
    args = parser.parse_args(argv)
    return run(args.host, args.port, args.registrar)


if __name__ == "__main__":
    sys.exit(main())
