"""A bare pjsua2 Endpoint for audio tests, created, polled and destroyed on the test's thread.

Two unregistered accounts on one UDP transport on 127.0.0.1 can call each other, so a whole call
(SDP, RTP, codec) runs in this process without a server. Every Call, port and player the test
made must be handed to ``keep`` so that ``close`` drops them all before ``libDestroy``.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from tests.support.ports import free_port
from tests.support.process import WaitTimeout


class LabCall(pj.Call):  # type: ignore[misc]
    def __init__(self, lab: LabEndpoint, acc: pj.Account, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(acc, call_id)
        self.lab = lab
        self.confirmed = False
        self.audio_ready = False
        self.disconnected = False

    def onCallState(self, prm: Any) -> None:
        state = self.getInfo().state
        self.confirmed = self.confirmed or state == pj.PJSIP_INV_STATE_CONFIRMED
        self.disconnected = state == pj.PJSIP_INV_STATE_DISCONNECTED

    def onCallMediaState(self, prm: Any) -> None:
        ci = self.getInfo()
        media = ci.media  # hold the parent (members of temporaries read freed memory)
        for i in range(len(media)):
            if media[i].type == pj.PJMEDIA_TYPE_AUDIO and (
                media[i].status == pj.PJSUA_CALL_MEDIA_ACTIVE
            ):
                self.audio_ready = True

    def audio(self) -> pj.AudioMedia:
        return self.getAudioMedia(-1)


class LabAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, lab: LabEndpoint) -> None:
        super().__init__()
        self.lab = lab
        self.incoming: list[LabCall] = []

    def onIncomingCall(self, prm: Any) -> None:
        call = LabCall(self.lab, self, prm.callId)
        self.incoming.append(call)  # keep it, or pjsua2 declines the call
        self.lab.keep(call)
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)


class LabEndpoint:
    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.ep = pj.Endpoint()
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.logConfig.level = 0
        cfg.logConfig.consoleLevel = 0
        cfg.medConfig.noVad = True
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        tcfg = pj.TransportConfig()
        tcfg.boundAddress = "127.0.0.1"
        tcfg.port = free_port("udp")
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.sip_port = tcfg.port
        self.ep.libStart()
        self._kept: list[Any] = []
        self._accounts: list[LabAccount] = []

    def keep(self, obj: Any) -> Any:
        self._kept.append(obj)
        return obj

    def poll_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        assert threading.get_ident() == self.thread
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise WaitTimeout(f"waiting for {what}: timed out after {timeout:.1f}s")
            self.ep.libHandleEvents(10)

    def account(self, user: str) -> LabAccount:
        cfg = pj.AccountConfig()
        cfg.idUri = f"sip:{user}@127.0.0.1:{self.sip_port}"
        cfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        acc = LabAccount(self)
        acc.create(cfg)
        self._accounts.append(acc)
        return acc

    def call(
        self, caller: LabAccount, callee: LabAccount, timeout: float = 5.0
    ) -> tuple[LabCall, LabCall]:
        """Place a call and wait until both sides have active audio."""
        out = self.keep(LabCall(self, caller))
        uri = callee.getInfo().uri
        out.makeCall(uri, pj.CallOpParam(True))
        self.poll_until(
            lambda: out.audio_ready and bool(callee.incoming) and callee.incoming[-1].audio_ready,
            timeout,
            "the loopback call's audio",
        )
        return out, callee.incoming[-1]

    def stop_audio_clock(self) -> None:
        """No port callback runs after this: ports can then be dropped safely."""
        self.ep.audDevManager().setNoDev()

    def hang_up_all(self, timeout: float = 3.0) -> None:
        """Hang up every call and wait until all are disconnected (references still held)."""
        calls = [o for o in self._kept if isinstance(o, LabCall)]
        for call in calls:
            if not call.disconnected:
                with contextlib.suppress(pj.Error):  # the other side may have hung it up
                    call.hangup(pj.CallOpParam(True))
        self.poll_until(lambda: all(c.disconnected for c in calls), timeout, "hang-up")

    def close(self) -> None:
        """Hang up, drop every pj object, destroy the library; the creating thread only."""
        self.stop_audio_clock()
        try:
            self.hang_up_all()
        finally:
            self._kept.clear()
            for acc in self._accounts:
                acc.incoming.clear()
                acc.shutdown()
            self._accounts.clear()
            gc.collect()
            self.ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
            # Drop the singleton too: a failed test's traceback keeps this object alive, and a
            # second pj.Endpoint() while the first exists throws from C++ (process abort).
            del self.ep
