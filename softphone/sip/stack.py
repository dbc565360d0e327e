"""The SIP-thread side of the engine: the Endpoint, accounts, calls and their callbacks.

Every method runs on the SIP thread (the one that called ``libCreate``). Events go out through
``emit`` on that same thread.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.auto_answer import decide, parse_headers
from softphone.core.errors import (
    ConfigError,
    EngineError,
    LimitExceeded,
    UnknownAccount,
    UnknownCall,
)
from softphone.core.models import (
    AutoAnswerPolicy,
    DtmfMethod,
    EngineConfig,
    SipAccountConfig,
    SrtpMode,
    Transport,
)
from softphone.core.retry import AUTH_CODES, Backoff, parse_retry_after
from softphone.core.sipuri import dial_uri, parse_remote
from softphone.sip.call import SipAccount, SipCall
from softphone.sip.logwriter import RedactingLogWriter
from softphone.sip.timers import Timers
from softphone.sip.transports import TransportPool, create_wake_transport

_log = logging.getLogger(__name__)

MAX_ACCOUNTS = 8  # PJSUA_MAX_ACC: the 9th Account.create aborts the process
MAX_CALLS = 4  # PJSUA_MAX_CALLS
_PJSIP_EBUSY = 171001  # PJSIP_EBUSY: "Object is busy"
_PJSIP_REFRESH_MARGIN_S = 5  # pjsip refreshes this long before expiry, if it can
_HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
_DTMF_DIGITS = re.compile(r"^[0-9A-Da-d*#]{1,32}$")
_STATE_MAP = {
    pj.PJSIP_INV_STATE_CALLING: ev.CallState.CALLING,
    pj.PJSIP_INV_STATE_INCOMING: ev.CallState.INCOMING,
    pj.PJSIP_INV_STATE_CONNECTING: ev.CallState.CONNECTING,
    pj.PJSIP_INV_STATE_CONFIRMED: ev.CallState.CONFIRMED,
    pj.PJSIP_INV_STATE_DISCONNECTED: ev.CallState.DISCONNECTED,
}
_SRTP = {
    SrtpMode.OFF: pj.PJMEDIA_SRTP_DISABLED,
    SrtpMode.OPTIONAL: pj.PJMEDIA_SRTP_OPTIONAL,
    SrtpMode.MANDATORY: pj.PJMEDIA_SRTP_MANDATORY,
}
_SECURE_PROTOS = (pj.PJMEDIA_TP_PROTO_RTP_SAVP, pj.PJMEDIA_TP_PROTO_RTP_SAVPF)

Emit = Callable[[ev.Event], None]


def pj_message(err: Any) -> str:
    """A one-line text of a ``pjsua2.Error`` without its traceback or object references."""
    reason = str(getattr(err, "reason", "") or err)
    return reason.split("(", 1)[0].strip() if "(PJ" in reason else reason.strip()


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    # libCreate prints a few lines to fd 1 before any log config applies; the headless agent's
    # --json output is parsed line by line, so those lines must not reach it.
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class _Endpoint(pj.Endpoint):  # type: ignore[misc]
    """Remembers why TLS connections failed and reports lost TCP/TLS connections."""

    def __init__(self, on_connection_lost: Callable[[], None]) -> None:
        super().__init__()
        self.tls_failure = ""
        self._on_connection_lost = on_connection_lost

    def onTransportState(self, prm: Any) -> None:
        try:
            info = prm.tlsInfo
            if not info.isEmpty() and info.verifyStatus != 0:
                msgs = "; ".join(str(m) for m in info.verifyMsgs) or "verification failed"
                self.tls_failure = msgs
            if prm.state == pj.PJSIP_TP_STATE_DISCONNECTED:
                self._on_connection_lost()
        except Exception:
            _log.exception("onTransportState failed")


def route_source_address(host: str, port: int) -> str:
    """The local address the OS would use to reach ``host`` (no packet is sent)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((host.strip("[]"), port or 5060))
            return str(sock.getsockname()[0])
    except OSError:
        return ""


class SipStack:
    """Owns pjsua2 for the engine. Emits on the SIP thread."""

    def __init__(self, config: EngineConfig, emit: Emit) -> None:
        self._config = config
        self._emit = emit
        self.timers = Timers()
        self._accounts: dict[str, SipAccount] = {}
        self._calls: dict[str, SipCall] = {}
        self._backoff: dict[str, Backoff] = {}
        self._call_seq = itertools.count(1)
        self._acc_seq = itertools.count(1)
        self._ep: _Endpoint | None = None
        self._transports: TransportPool | None = None
        self._log_writer = RedactingLogWriter()
        self.wake_port = 0

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> ev.EngineStarted:
        began = time.perf_counter()
        ep = _Endpoint(self._on_connection_lost)
        with _quiet_stdout():
            ep.libCreate()
        self._ep = ep
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = MAX_CALLS
        cfg.uaConfig.userAgent = self._config.user_agent
        cfg.logConfig.writer = self._log_writer
        cfg.logConfig.level = self._config.log_level
        cfg.logConfig.consoleLevel = self._config.log_level
        cfg.logConfig.msgLogging = 1 if self._config.sip_trace else 0
        cfg.logConfig.decor = 0
        cfg.medConfig.noVad = True
        ep.libInit(cfg)
        # No sound device exists in this pjsua2 build; the null device keeps the bridge clocked.
        ep.audDevManager().setNullDev()
        _, self.wake_port = create_wake_transport(ep)
        self._transports = TransportPool(ep, self._config.bind_address)
        ep.libStart()
        return ev.EngineStarted(
            version=str(ep.libVersion().full), startup_ms=(time.perf_counter() - began) * 1000
        )

    def poll(self, max_ms: int) -> None:
        assert self._ep is not None
        self._ep.libHandleEvents(max_ms)

    def shutdown(self, grace_s: float = 2.0) -> bool:
        """Orderly stop: hang up, unregister, drop every pj object, destroy the library."""
        ep = self._ep
        if ep is None:
            return True
        self.timers.clear()
        self._hang_up_all()
        self._poll_until(lambda: not self._calls, grace_s)
        registered = self._unregister_all()
        self._poll_until(lambda: not any(a.registered for a in registered), grace_s)
        clean = not self._calls and not any(a.registered for a in registered)
        registered.clear()
        # Every Call and Account must be gone before libDestroy: one alive then aborts the process,
        # and so does one whose destructor runs after it (a loop variable in this frame, say).
        self._calls.clear()
        for account_id in list(self._accounts):
            self._safe(self._accounts[account_id].shutdown)
        self._accounts.clear()
        self._ep = None
        self._transports = None
        # Collect, here on the SIP thread, any cycle that still holds a pjsua2 object.
        gc.collect()
        ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK if clean else 0)
        return clean

    def _hang_up_all(self) -> None:
        for call in list(self._calls.values()):
            self._safe(call.hangup, pj.CallOpParam())

    def _unregister_all(self) -> list[SipAccount]:
        registered = [a for a in self._accounts.values() if a.registered]
        for acc in registered:
            acc.want_registered = False
            self._safe(acc.setRegistration, False)
        return registered

    def _poll_until(self, done: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            self.poll(10)

    @staticmethod
    def _safe(action: Callable[..., object], *args: object) -> None:
        try:
            action(*args)
        except pj.Error as err:
            _log.debug("ignored during shutdown: %s", pj_message(err))

    # ---- accounts --------------------------------------------------------------------------

    def add_account(self, config: SipAccountConfig, account_id: str | None) -> str:
        if len(self._accounts) >= MAX_ACCOUNTS:
            raise LimitExceeded(
                f"At most {MAX_ACCOUNTS} SIP accounts can be active at once; remove one first."
            )
        account_id = account_id or f"a{next(self._acc_seq)}"
        if account_id in self._accounts:
            raise ConfigError(f"An account named '{account_id}' is already configured.")
        assert self._transports is not None
        tid = self._transports.get(config.transport, config.ca_file, config.verify_server)
        acc = SipAccount(self, account_id, config)
        self._accounts[account_id] = acc
        self._backoff[account_id] = Backoff()
        self._refresh_secrets()
        self._apply_codecs(config.codecs)
        acc.want_registered = config.register
        if config.register:
            self._emit(
                ev.RegistrationChanged(
                    account_id=account_id,
                    state=ev.RegistrationState.REGISTERING,
                    transport=config.transport.value,
                )
            )
        try:
            acc.create(self._account_config(config, tid))
        except pj.Error as err:
            del self._accounts[account_id]
            raise EngineError(f"The SIP account could not be created: {pj_message(err)}") from None
        return account_id

    def _account_config(self, config: SipAccountConfig, tid: int) -> pj.AccountConfig:
        t = config.transport.value
        hop = config.proxy or config.domain
        port = f":{config.port}" if config.port else ""
        ac = pj.AccountConfig()
        name = config.display_name.replace('"', "")
        ac.idUri = f'"{name}" <{config.aor}>' if name else f"<{config.aor}>"
        if config.register:
            ac.regConfig.registrarUri = (
                f"sip:{config.domain};transport={t}"
                if config.proxy
                else f"sip:{config.domain}{port};transport={t}"
            )
        ac.regConfig.registerOnAdd = config.register
        ac.regConfig.timeoutSec = config.reg_expires_s
        ac.regConfig.retryIntervalSec = 0  # our own policy (core.retry) retries instead
        ac.regConfig.firstRetryIntervalSec = 0
        ac.regConfig.dropCallsOnFail = False
        ac.regConfig.unregWaitMsec = 1500
        if config.register or config.proxy or config.port:
            ac.sipConfig.proxies.append(f"sip:{hop}{port};transport={t};lr")
        ac.sipConfig.transportId = tid  # keeps large UDP requests on UDP, and the account on it
        ac.sipConfig.authCreds.append(
            pj.AuthCredInfo(
                "digest", "*", config.auth_user or config.extension, 0, config.password.reveal()
            )
        )
        if config.transport is Transport.UDP:
            ac.natConfig.udpKaIntervalSec = config.keepalive_s
        ac.mediaConfig.srtpUse = _SRTP[config.srtp]
        ac.mediaConfig.srtpSecureSignaling = 1 if config.srtp is SrtpMode.MANDATORY else 0
        media_ip = self._config.bind_address
        if media_ip in ("", "0.0.0.0", "::"):
            media_ip = route_source_address(hop, config.port)
        if media_ip:
            # Otherwise SDP c= carries the host's main address, not the one facing the server.
            ac.mediaConfig.transportConfig.boundAddress = media_ip
        return ac

    def _apply_codecs(self, wanted: tuple[str, ...]) -> None:
        assert self._ep is not None
        order = [w.lower() for w in wanted]
        for info in self._ep.codecEnum2():
            codec_id = str(info.codecId)
            name = codec_id.split("/", 1)[0].lower()
            prio = 255 - order.index(name) if name in order else 0
            self._ep.codecSetPriority(codec_id, prio)

    def _refresh_secrets(self) -> None:
        configs = [acc.config for acc in self._accounts.values()]
        self._log_writer.secrets = tuple(c.password.reveal() for c in configs if c.password)
        self._log_writer.identifiers = tuple(
            i for c in configs for i in (c.extension, c.auth_user) if i
        )

    def remove_account(self, account_id: str) -> None:
        acc = self._account(account_id)
        acc.want_registered = False
        if acc.retry_timer:
            acc.retry_timer.cancel()
        for call in [c for c in self._calls.values() if c.account is acc]:
            self._safe(call.hangup, pj.CallOpParam())
        if acc.registered:
            self._safe(acc.setRegistration, False)
            self._poll_until(lambda: not acc.registered, 2.0)
        self._poll_until(lambda: not any(c.account is acc for c in self._calls.values()), 2.0)
        for cid in [k for k, c in self._calls.items() if c.account is acc]:
            del self._calls[cid]
        self._safe(acc.shutdown)
        del self._accounts[account_id]
        self._backoff.pop(account_id, None)
        self._refresh_secrets()
        self._emit(
            ev.RegistrationChanged(
                account_id=account_id, state=ev.RegistrationState.UNREGISTERED, reason="removed"
            )
        )

    def reregister(self, account_id: str) -> None:
        acc = self._account(account_id)
        acc.want_registered = True
        if acc.retry_timer:
            acc.retry_timer.cancel()
        self._register_now(acc)

    def set_auto_answer(self, account_id: str, policy: AutoAnswerPolicy) -> None:
        acc = self._account(account_id)
        acc.config = dataclasses.replace(acc.config, auto_answer=policy)

    def _register_later(self, acc: SipAccount, delay_s: float) -> None:
        if acc.retry_timer:
            acc.retry_timer.cancel()
        # The closure holds the id, not the Account: a pjsua2 object caught in a reference
        # cycle would be collected later, on whatever thread runs the GC, maybe after libDestroy.
        account_id = acc.account_id
        acc.retry_timer = self.timers.call_later(delay_s, lambda: self._register_by_id(account_id))

    def _register_by_id(self, account_id: str) -> None:
        acc = self._accounts.get(account_id)
        if acc is not None:
            self._register_now(acc)

    def _register_now(self, acc: SipAccount) -> None:
        acc.retry_timer = None
        if not acc.want_registered:
            return
        self._emit(
            ev.RegistrationChanged(
                account_id=acc.account_id,
                state=ev.RegistrationState.REGISTERING,
                transport=acc.config.transport.value,
            )
        )
        try:
            acc.setRegistration(True)
        except pj.Error as err:
            if int(getattr(err, "status", 0)) == _PJSIP_EBUSY:
                return  # a REGISTER is already under way; its outcome arrives in on_reg_state
            self._schedule_retry(acc, 0, pj_message(err), None)

    def _fail_registration(self, acc: SipAccount, code: int, reason: str) -> None:
        if acc.retry_timer:
            acc.retry_timer.cancel()
            acc.retry_timer = None
        self._emit(
            ev.RegistrationChanged(
                account_id=acc.account_id,
                state=ev.RegistrationState.FAILED,
                code=code,
                reason=reason,
                transport=acc.config.transport.value,
            )
        )

    def on_reg_state(self, acc: SipAccount, prm: Any) -> None:
        code, reason, expires = int(prm.code), str(prm.reason), int(prm.expiration)
        transport = acc.config.transport.value
        if 200 <= code < 300:
            acc.registered = expires > 0
            state = (
                ev.RegistrationState.REGISTERED
                if expires > 0
                else ev.RegistrationState.UNREGISTERED
            )
            if expires > 0:
                self._backoff[acc.account_id].reset()
            if 0 < expires <= _PJSIP_REFRESH_MARGIN_S and acc.want_registered:
                # pjsip schedules no refresh at all when the server grants this little time.
                self._register_later(acc, expires / 2)
            self._emit(
                ev.RegistrationChanged(
                    account_id=acc.account_id,
                    state=state,
                    code=code,
                    reason=reason,
                    expires_s=expires,
                    transport=transport,
                )
            )
            return
        acc.registered = False
        if not acc.want_registered:
            self._emit(
                ev.RegistrationChanged(
                    account_id=acc.account_id,
                    state=ev.RegistrationState.UNREGISTERED,
                    code=code,
                    reason=reason,
                    transport=transport,
                )
            )
            return
        assert self._ep is not None
        if acc.config.transport is Transport.TLS and self._ep.tls_failure:
            why = self._ep.tls_failure
            self._ep.tls_failure = ""
            self._fail_registration(
                acc,
                code,
                f"The SIP server's TLS certificate was not accepted ({why}). "
                "The connection was refused to protect your credentials.",
            )
            return
        if code in AUTH_CODES:
            # Retrying wrong credentials gets the agent's IP banned by fail2ban on many servers;
            # the session layer re-authenticates (firewall, provisioning) and calls reregister.
            self._fail_registration(acc, code, reason)
            return
        retry_after = None
        rdata = prm.rdata
        if rdata is not None:
            retry_after = parse_retry_after(
                parse_headers(str(rdata.wholeMsg)).get("retry-after", "")
            )
        self._schedule_retry(acc, code, reason, retry_after)

    def _on_connection_lost(self) -> None:
        # pjsua re-registers after a lost TCP/TLS connection only through its own retry timer,
        # which we turned off; without this the account would stay silently unreachable until
        # the next refresh. Re-register every connection-oriented account that wants to be.
        for acc in self._accounts.values():
            if self._ep is not None and self._ep.tls_failure:
                return  # on_reg_state reports the refused certificate; no blind retry
            if acc.config.transport is not Transport.UDP and acc.want_registered:
                acc.registered = False
                if acc.retry_timer is None:
                    self._schedule_retry(acc, 503, "Connection to the SIP server lost", None)

    def _schedule_retry(
        self, acc: SipAccount, code: int, reason: str, retry_after: float | None
    ) -> None:
        delay = self._backoff[acc.account_id].next_delay(retry_after)
        self._register_later(acc, delay)
        self._emit(
            ev.RegistrationChanged(
                account_id=acc.account_id,
                state=ev.RegistrationState.RETRYING,
                code=code,
                reason=reason,
                retry_in_s=round(delay, 3),
                transport=acc.config.transport.value,
            )
        )

    def _account(self, account_id: str) -> SipAccount:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise UnknownAccount(f"No SIP account named '{account_id}' is configured.") from None

    # ---- calls -----------------------------------------------------------------------------

    def _call(self, call_id: str) -> SipCall:
        try:
            return self._calls[call_id]
        except KeyError:
            raise UnknownCall("That call has already ended.") from None

    def _new_call_id(self) -> str:
        return f"c{next(self._call_seq)}"

    def make_call(
        self, account_id: str, target: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> str:
        acc = self._account(account_id)
        if len(self._calls) >= min(self._config.max_calls, MAX_CALLS):
            raise LimitExceeded(
                "You already have the most calls this phone can hold; end one first."
            )
        uri = dial_uri(target, acc.config.domain)
        prm = pj.CallOpParam(True)
        for name, value in headers:
            if not _HEADER_NAME.match(name) or any(c in value for c in "\r\n"):
                raise ConfigError(f"'{name}' is not a header that can be added to a call.")
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        call_id = self._new_call_id()
        call = SipCall(self, acc, call_id, ev.Direction.OUTBOUND)
        call.remote = parse_remote(uri)
        # Stored before makeCall: its first state callback runs inside makeCall.
        self._calls[call_id] = call
        try:
            call.makeCall(uri, prm)
        except pj.Error as err:
            self._calls.pop(call_id, None)
            raise EngineError(f"The call could not be placed: {pj_message(err)}") from None
        return call_id

    def on_incoming_call(self, acc: SipAccount, prm: Any) -> None:
        call_id = self._new_call_id()
        call = SipCall(self, acc, call_id, ev.Direction.INBOUND, int(prm.callId))
        # Holding the reference before answering: a dropped Call object answers 603 Decline.
        self._calls[call_id] = call
        ci = call.getInfo()
        call.remote = parse_remote(str(ci.remoteUri))
        busy = any(c is not call and c.connected_at is not None for c in self._calls.values())
        headers = parse_headers(str(prm.rdata.wholeMsg))
        decision = decide(acc.config.auto_answer, headers, busy=busy)
        self._emit(
            ev.IncomingCall(
                call_id=call_id,
                account_id=acc.account_id,
                remote_uri=call.remote.uri,
                remote_number=call.remote.number,
                remote_display=call.remote.display,
                auto_answer_in_s=None if decision is None else decision.delay_s,
                auto_answer_reason=None if decision is None else decision.reason,
                waiting=busy,
            )
        )
        if decision is not None and decision.delay_s <= 0:
            call.answered_by = decision.reason
            self._answer(call, 200)
            return
        self._answer(call, 180)
        if decision is not None:
            reason = decision.reason

            def auto() -> None:  # holds the call's id only, never the Call (see _register_later)
                pending = self._calls.get(call_id)
                if pending is not None and pending.connected_at is None:
                    pending.answered_by = reason
                    self._answer(pending, 200)

            call.answer_timer = self.timers.call_later(decision.delay_s, auto)

    def _answer(self, call: SipCall, code: int) -> None:
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        call.answer(prm)

    def answer(self, call_id: str) -> None:
        call = self._call(call_id)
        if call.direction is not ev.Direction.INBOUND or call.connected_at is not None:
            raise EngineError("Only a ringing incoming call can be answered.")
        if call.answer_timer:
            call.answer_timer.cancel()
        call.answered_by = call.answered_by or ev.AnswerReason.MANUAL
        self._answer(call, 200)

    def reject(self, call_id: str, code: int = 486) -> None:
        if code not in (486, 480, 603):
            raise ConfigError("A call can be rejected with 486 Busy, 480 or 603 Decline only.")
        call = self._call(call_id)
        prm = pj.CallOpParam()
        prm.statusCode = code
        call.hangup(prm)

    def hangup(self, call_id: str) -> None:
        call = self._call(call_id)
        prm = pj.CallOpParam()
        if call.direction is ev.Direction.INBOUND and call.connected_at is None:
            prm.statusCode = 603
        call.hangup(prm)

    def hold(self, call_id: str) -> None:
        call = self._call(call_id)
        call.setHold(pj.CallOpParam(True))
        call.local_hold = True

    def unhold(self, call_id: str) -> None:
        call = self._call(call_id)
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        call.reinvite(prm)
        call.local_hold = False

    def set_mute(self, call_id: str, muted: bool) -> None:
        call = self._call(call_id)
        call.muted = muted
        self._connect_audio(call)
        self._emit_media(call)

    def send_dtmf(self, call_id: str, digits: str, method: DtmfMethod | None) -> None:
        call = self._call(call_id)
        if not _DTMF_DIGITS.match(digits):
            raise ConfigError("DTMF digits are 0-9, *, #, A-D (at most 32 at once).")
        prm = pj.CallSendDtmfParam()
        prm.digits = digits
        chosen = method or call.account.config.dtmf
        prm.method = (
            pj.PJSUA_DTMF_METHOD_SIP_INFO
            if chosen is DtmfMethod.INFO
            else pj.PJSUA_DTMF_METHOD_RFC2833
        )
        call.sendDtmf(prm)

    def transfer(self, call_id: str, target: str) -> None:
        call = self._call(call_id)
        uri = dial_uri(target, call.account.config.domain)
        call.xfer(uri, pj.CallOpParam(True))
        call.transfer_pending = True

    def transfer_attended(self, call_id: str, to_call_id: str) -> None:
        call, other = self._call(call_id), self._call(to_call_id)
        if call is other:
            raise ConfigError("Pick the other call to transfer to.")
        call.xferReplaces(other, pj.CallOpParam(True))
        call.transfer_pending = True

    def handle_ip_change(self) -> None:
        assert self._ep is not None
        prm = pj.IpChangeParam()
        self._ep.handleIpChange(prm)

    # ---- call callbacks --------------------------------------------------------------------

    def on_call_state(self, call: SipCall) -> None:
        ci = call.getInfo()
        pj_state = int(ci.state)
        code = int(ci.lastStatusCode)
        if pj_state == pj.PJSIP_INV_STATE_EARLY:
            if call.direction is ev.Direction.INBOUND:
                state = ev.CallState.INCOMING
            else:
                state = ev.CallState.EARLY_MEDIA if code == 183 else ev.CallState.RINGING
        else:
            state = _STATE_MAP.get(pj_state, ev.CallState.CALLING)
        if state is ev.CallState.CONFIRMED and call.connected_at is None:
            call.connected_at = time.monotonic()
        if state.value == call.last_state and state is not ev.CallState.DISCONNECTED:
            return
        call.last_state = state.value
        if call.remote.display == "" and str(ci.remoteUri):
            call.remote = parse_remote(str(ci.remoteUri))
        event = ev.CallStateChanged(
            call_id=call.call_id,
            account_id=call.account.account_id,
            state=state,
            direction=call.direction,
            remote_uri=call.remote.uri,
            remote_number=call.remote.number,
            remote_display=call.remote.display,
            sip_code=code,
            reason=str(ci.lastReason),
            duration_s=round(call.duration_s(), 6),
            connected=call.connected_at is not None,
            answered_by=call.answered_by,
        )
        if state is ev.CallState.DISCONNECTED:
            if call.answer_timer:
                call.answer_timer.cancel()
            # Drop our reference now: a Call that outlives its call hangs up whichever later call
            # reuses its slot when it is finally collected.
            self._calls.pop(call.call_id, None)
        self._emit(event)

    def on_call_media_state(self, call: SipCall) -> None:
        self._connect_audio(call)
        self._emit_media(call)

    def _audio_media_index(self, call: SipCall) -> tuple[int, int]:
        ci = call.getInfo()
        media = ci.media  # hold the parent: members of temporaries read freed memory
        for i in range(len(media)):
            mi = media[i]
            if mi.type == pj.PJMEDIA_TYPE_AUDIO:
                return int(mi.index), int(mi.status)
        return -1, pj.PJSUA_CALL_MEDIA_NONE

    def _connect_audio(self, call: SipCall) -> None:
        assert self._ep is not None
        index, status = self._audio_media_index(call)
        if index < 0 or status not in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
            return
        media = call.getAudioMedia(index)
        adm = self._ep.audDevManager()
        media.startTransmit(adm.getPlaybackDevMedia())
        capture = adm.getCaptureDevMedia()
        if call.muted:
            capture.stopTransmit(media)
        else:
            capture.startTransmit(media)

    def _emit_media(self, call: SipCall) -> None:
        index, status = self._audio_media_index(call)
        remote_hold = status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD
        if call.local_hold and (remote_hold or status == pj.PJSUA_CALL_MEDIA_NONE):
            hold = ev.HoldState.BOTH if remote_hold else ev.HoldState.LOCAL
        elif call.local_hold or status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD:
            hold = ev.HoldState.LOCAL
        else:
            hold = ev.HoldState.REMOTE if remote_hold else ev.HoldState.NONE
        codec, srtp = "", False
        if index >= 0 and status != pj.PJSUA_CALL_MEDIA_NONE:
            try:
                si = call.getStreamInfo(index)
                codec, srtp = str(si.codecName), int(si.proto) in _SECURE_PROTOS
            except pj.Error:
                pass
        self._emit(
            ev.CallMediaChanged(
                call_id=call.call_id,
                hold=hold,
                muted=call.muted,
                active=status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD),
                codec=codec,
                srtp=srtp,
            )
        )

    def on_dtmf(self, call: SipCall, digit: str, method: str) -> None:
        self._emit(ev.DtmfReceived(call_id=call.call_id, digit=digit, method=method))

    def on_transfer_status(self, call: SipCall, code: int, reason: str, final: bool) -> None:
        self._emit(ev.TransferProgress(call_id=call.call_id, code=code, reason=reason, final=final))
        if final and call.transfer_pending:
            call.transfer_pending = False
            if 200 <= code < 300 and call.call_id in self._calls:
                # pjsua leaves the transferred call up; the agent expects it gone.
                call.hangup(pj.CallOpParam())

    def on_transfer_request(self, call: SipCall, prm: Any) -> None:
        if len(self._calls) >= MAX_CALLS:
            prm.statusCode = 486
            return
        new = SipCall(self, call.account, self._new_call_id(), ev.Direction.OUTBOUND)
        new.remote = parse_remote(str(prm.dstUri))
        self._calls[new.call_id] = new
        prm.newCall = new

    def on_call_replaced(self, call: SipCall, prm: Any) -> None:
        new = SipCall(
            self, call.account, self._new_call_id(), ev.Direction.INBOUND, int(prm.newCallId)
        )
        self._calls[new.call_id] = new
        prm.newCall = new

    # ---- diagnostics -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        assert self._transports is not None
        return {
            "accounts": {
                k: {"registered": a.registered, "retry_pending": a.retry_timer is not None}
                for k, a in self._accounts.items()
            },
            "calls": sorted(self._calls),
            "transports": self._transports.local_names(),
        }
