"""The SIP-thread side of the engine: the running stack. The Endpoint's life (start, poll, orderly
shutdown), accounts, which account an incoming INVITE goes to, and the parts that own
registrations and calls; the Endpoint itself and its configuration are in ``endpoint``.

Every method runs on the SIP thread (the one that called ``libCreate``). Events go out through
``emit`` on that same thread.
"""

from __future__ import annotations

import gc
import itertools
import logging
import time
from collections.abc import Callable

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.errors import ConfigError, EngineError, LimitExceeded, UnknownAccount
from softphone.core.models import (
    AccountSnapshot,
    AutoAnswerPolicy,
    EngineConfig,
    EngineSnapshot,
    Ringtone,
    SipAccountConfig,
    check_levels,
)
from softphone.core.trust import Origin
from softphone.core.values import replace
from softphone.sip.account_config import apply_codecs, build_account_config
from softphone.sip.admission import FloodGuard, is_invite
from softphone.sip.call import SipAccount
from softphone.sip.calls import Calls
from softphone.sip.capabilities import check_account, probe
from softphone.sip.endpoint import SipEndpoint, endpoint_config, quiet_stdout
from softphone.sip.logwriter import TRACE_LEVEL, RedactingLogWriter, pj_log_level_setter
from softphone.sip.media import CallAudio
from softphone.sip.pjerror import pj_message
from softphone.sip.registration import Registrations
from softphone.sip.timers import Timers
from softphone.sip.tone_hooks import NoTones
from softphone.sip.transports import TransportPool, create_wake_transport
from softphone.sip.trust_gate import Post, TrustGate
from softphone.sip.unhandled import UnhandledRequests

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from softphone.audio.ring import AudioRings
    from softphone.sip.tones import LocalTones

_log = logging.getLogger(__name__)

MAX_ACCOUNTS = 8  # PJSUA_MAX_ACC: the 9th Account.create aborts the process

Emit = Callable[[ev.Event], None]


def _pj_objects_alive() -> bool:
    """Whether a pjsua2 call, account or media object (one that libDestroy must outlive) is
    still alive, garbage in a reference cycle or not."""
    kinds = (pj.Call, pj.Account, pj.Media)
    return any(isinstance(obj, kinds) for obj in gc.get_objects())


class SipStack:
    """Owns pjsua2 for the engine. Emits on the SIP thread."""

    def __init__(
        self,
        config: EngineConfig,
        emit: Emit,
        audio: AudioRings | None = None,
        post: Post | None = None,
    ) -> None:
        """``post`` runs a callable on the SIP thread later, from any thread (the engine's
        queue); without it the server's addresses are looked up on the SIP thread itself."""
        self._config = config
        self._audio_rings = audio
        self._media: CallAudio | None = None
        self._tones: LocalTones | None = None
        self._emit = emit
        self.timers = Timers()
        self._accounts: dict[str, SipAccount] = {}
        self._acc_seq = itertools.count(1)
        self._ep: SipEndpoint | None = None
        self._transports: TransportPool | None = None
        self._guard: FloodGuard | None = None
        self._guard_warned = False
        self._log_writer = RedactingLogWriter()
        self._pj_log_level: Callable[[int], None] | None = None  # pjlib's, found at start
        self.wake_port = 0
        self.capabilities: ev.Capabilities | None = None  # found at start
        self.unhandled = UnhandledRequests()
        self.gate = TrustGate(emit, self.timers, self._accounts, post)
        self.registrations = Registrations(
            emit, self.timers, self._accounts, self._tls_failure, self.gate.refresh
        )
        self.calls = Calls(emit, self.timers, config.max_calls, self)
        self.calls.gate = self.gate

    def _tls_failure(self, take: bool) -> str:
        if self._ep is None:
            return ""
        why = self._ep.tls_failure
        if take:
            self._ep.tls_failure = ""
        return why

    def connect(self, call_audio: Any, *, muted: bool) -> None:
        """The calls' audio sink (see ``Calls``): delegates to the media set up at start."""
        assert self._media is not None
        self._media.connect(call_audio, muted=muted)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> ev.EngineStarted:
        began = time.perf_counter()
        ep = SipEndpoint(self.registrations.on_connection_lost, self.on_select_account)
        with quiet_stdout():
            ep.libCreate()
        self._ep = ep
        level = self._log_level(self._config.sip_trace)
        self._log_writer.level = level
        cfg = endpoint_config(self._config, level, self._log_writer)
        ep.libInit(cfg)
        # No sound device exists in this pjsua2 build; the null device keeps the bridge clocked.
        ep.audDevManager().setNullDev()
        self._media = CallAudio(ep, self._audio_rings)
        self._media.set_levels(self._config.speaker_level, self._config.mic_level)
        if self._audio_rings is not None and self._config.local_tones:
            from softphone.sip.tones import LocalTones  # only with sound devices: not headless

            self._tones = LocalTones(
                self._media, self.timers, self._emit, ringtone=self._config.ringtone
            )
            self.calls.tones = self._tones
        if self._audio_rings is not None:
            self.timers.call_later(self._config.audio_stats_interval_s, self._report_audio)
        self.timers.call_later(self._config.quality_interval_s, self._report_quality)
        _, self.wake_port = create_wake_transport(ep)
        unhandled_501 = self.unhandled.install()
        if not unhandled_501:
            _log.info("this pjsua2 build cannot answer requests nothing handles (no pjsip exports)")
        self._find_capabilities(ep, unhandled_501)
        self._transports = TransportPool(ep, self._config.bind_address)
        ep.libStart()
        self._update_guard()
        return ev.EngineStarted(
            version=str(ep.libVersion().full), startup_ms=(time.perf_counter() - began) * 1000
        )

    def _find_capabilities(self, ep: SipEndpoint, unhandled_501: bool) -> None:
        began = time.perf_counter()
        self._pj_log_level = pj_log_level_setter()
        caps = probe(
            ep,
            live_sip_trace=self._pj_log_level is not None,
            unhandled_501=unhandled_501,
            began=began,
        )
        self.capabilities = caps
        if not caps.tls:
            _log.warning("this build of the SIP library has no TLS: %s", caps.tls_detail)
        if not caps.live_sip_trace:
            _log.info("this pjsua2 build starts or stops the SIP trace only at engine start")

    def poll(self, max_ms: int) -> None:
        assert self._ep is not None
        self._ep.libHandleEvents(max_ms)

    def shutdown(self, grace_s: float = 2.0) -> bool:
        """Orderly stop: hang up, unregister, drop every pj object, destroy the library."""
        ep = self._ep
        if ep is None:
            return True
        self.calls.admission.close()  # reports INVITEs shed since the last report
        self.gate.close()  # and requests refused
        self.timers.clear()
        if self._tones is not None:
            # Tone generators are bridge ports: stopped, disconnected and dropped before
            # libDestroy (one alive then aborts the process); the calls' hooks go quiet.
            self._tones.close()
            self._tones = None
            self.calls.tones = NoTones()  # nothing may keep the Endpoint alive past libDestroy
        self.calls.hang_up_all(self._safe)
        if self._guard is not None:
            self._guard.hang_up_all()
        self._poll_until(lambda: not self.calls and not self._guard_calls(), grace_s)
        registered = self._unregister_all()
        self._poll_until(lambda: not any(a.registered for a in registered), grace_s)
        clean = not self.calls and not any(a.registered for a in registered)
        registered.clear()
        # Every Call and Account must be gone before libDestroy: one alive then aborts the process,
        # and so does one whose destructor runs after it (a loop variable in this frame, say).
        self.calls.clear()
        for account_id in list(self._accounts):
            self._safe(self._accounts[account_id].shutdown)
        self._accounts.clear()
        if self._guard is not None:
            self._guard.calls.clear()
            self._safe(self._guard.shutdown)
            self._guard = None
        if self._media is not None:
            self._media.close()
            self._media = None
        self._ep = None
        self._transports = None
        # Collect, here on the SIP thread, any cycle that still holds a pjsua2 object; only then:
        # a collection here finalises all of the process's garbage on this thread, in the app Qt
        # objects too, and a Qt object torn down off the GUI thread can deadlock it (Qt's
        # connection lock taken here, then the GIL, which the GUI thread holds while it waits
        # for that lock).
        if _pj_objects_alive():
            gc.collect()
        ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK if clean else 0)
        return clean

    def _report_audio(self) -> None:
        stats = self._media.stats() if self._media is not None else None
        if stats is None:
            return
        if len(self.calls):
            self._emit(stats)
        self.timers.call_later(self._config.audio_stats_interval_s, self._report_audio)

    def _report_quality(self) -> None:
        self.calls.report_quality()
        self.timers.call_later(self._config.quality_interval_s, self._report_quality)

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

    # ---- incoming INVITE admission ------------------------------------------------------------

    def _guard_calls(self) -> bool:
        return self._guard is not None and bool(self._guard.calls)

    def _update_guard(self, *, adding: bool = False) -> None:
        """Keep the flood guard's account while pjsua has a slot for it.

        pjsua holds 8 accounts (the 9th aborts the process); the guard takes one until the
        user's accounts need all 8, and comes back when one goes.
        """
        assert self._ep is not None
        wanted = len(self._accounts) + (1 if adding else 0) < MAX_ACCOUNTS
        if wanted and self._guard is None:
            guard = FloodGuard()
            try:
                guard.create(FloodGuard.config())
            except pj.Error as err:
                _log.error("the flood guard account could not be created: %s", pj_message(err))
                return
            self._guard = guard
            if self._accounts:
                self._safe(next(iter(self._accounts.values())).setDefault)
        elif not wanted and self._guard is not None:
            guard = self._guard
            guard.hang_up_all()
            self._poll_until(lambda: not guard.calls, 2.0)
            guard.calls.clear()
            self._safe(guard.shutdown)
            self._guard = None
            _log.warning(
                "all %d SIP accounts are in use: incoming INVITEs can no longer be shed "
                "when they arrive too fast",
                MAX_ACCOUNTS,
            )

    def on_select_account(self, prm: Any) -> None:
        """pjsua picks the account of a new incoming request (``Endpoint.onSelectAccount``).

        For an INVITE this runs before pjsua opens the call's media sockets. An INVITE from an
        address the account does not trust (``core.trust``) goes to the flood guard with 403
        (loop media, no socket, nothing rings); one beyond the admission limit to the guard with
        486. pjsua ignores an invalid id here, hence the guard. A request pjsua gave the guard
        by default goes to a real account instead.
        """
        guard = self._guard
        guard_id = int(guard.getId()) if guard is not None else pj.PJSUA_INVALID_ID
        is_guard = guard_id != pj.PJSUA_INVALID_ID and int(prm.accountIndex) == guard_id
        if is_guard and self._accounts:
            prm.accountIndex = next(iter(self._accounts.values())).getId()
        rdata = prm.rdata
        if not is_invite(str(rdata.info), lambda: str(rdata.wholeMsg)):
            return
        source = str(rdata.srcAddress)
        can_shed = guard is not None and guard_id != pj.PJSUA_INVALID_ID
        acc = self._account_by_index(int(prm.accountIndex))
        if acc is not None and acc.trust.origin(source) is Origin.REFUSED:
            if can_shed:  # without the guard, Calls.on_incoming_call refuses it
                assert guard is not None
                self.calls.refused(source, "INVITE")
                guard.refuse_next(source, 403)
                prm.accountIndex = guard_id
            return
        if self.calls.admission.incoming(source, can_shed=can_shed):
            return
        prm.accountIndex = guard_id

    def _account_by_index(self, index: int) -> SipAccount | None:
        for acc in self._accounts.values():
            if int(acc.getId()) == index:
                return acc
        return None

    # ---- accounts --------------------------------------------------------------------------

    def add_account(self, config: SipAccountConfig, account_id: str | None) -> str:
        if len(self._accounts) >= MAX_ACCOUNTS:
            raise LimitExceeded(
                f"At most {MAX_ACCOUNTS} SIP accounts can be active at once; remove one first."
            )
        check_account(self.capabilities, config)  # no TLS here: refused before anything is sent
        account_id = account_id or f"a{next(self._acc_seq)}"
        if account_id in self._accounts:
            raise ConfigError(f"An account named '{account_id}' is already configured.")
        self._update_guard(adding=True)
        assert self._transports is not None
        tid = self._transports.get(
            config.transport, config.ca_file, config.verify_server, config.local_address
        )
        acc = SipAccount(self.registrations, self.calls, account_id, config)
        self._accounts[account_id] = acc
        self._refresh_secrets()
        assert self._ep is not None
        apply_codecs(self._ep, config.codecs)
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
            bind = config.local_address or self._config.bind_address
            acc.create(build_account_config(config, tid, bind))
        except pj.Error as err:
            del self._accounts[account_id]
            self._update_guard()
            raise EngineError(f"The SIP account could not be created: {pj_message(err)}") from None
        if self._guard is not None and self._guard.isDefault():
            acc.setDefault()  # requests no account matches go to a real one, not the guard
        self.gate.refresh(acc)
        return account_id

    def _refresh_secrets(self) -> None:
        configs = [acc.config for acc in self._accounts.values()]
        self._log_writer.secrets = tuple(c.password.reveal() for c in configs if c.password)
        self._log_writer.identifiers = tuple(
            i for c in configs for i in (c.extension, c.auth_user) if i
        )

    def remove_account(self, account_id: str) -> None:
        acc = self.account(account_id)
        acc.want_registered = False
        if acc.retry_timer:
            acc.retry_timer.cancel()
        self.calls.hang_up_all(self._safe, acc)
        if acc.registered:
            self._safe(acc.setRegistration, False)
            self._poll_until(lambda: not acc.registered, 2.0)
        self._poll_until(lambda: not any(c.account is acc for c in self.calls), 2.0)
        self.calls.drop_account(acc)
        self._safe(acc.shutdown)
        del self._accounts[account_id]
        if self._guard is not None and self._guard.isDefault() and self._accounts:
            self._safe(next(iter(self._accounts.values())).setDefault)
        self._update_guard()
        self._refresh_secrets()
        self._emit(
            ev.RegistrationChanged(
                account_id=account_id, state=ev.RegistrationState.UNREGISTERED, reason="removed"
            )
        )

    def reregister(self, account_id: str) -> None:
        self.registrations.reregister(self.account(account_id))

    def set_auto_answer(self, account_id: str, policy: AutoAnswerPolicy) -> None:
        acc = self.account(account_id)
        acc.config = replace(acc.config, auto_answer=policy)

    def set_direct_calls(self, account_id: str, accept: bool | None) -> None:
        acc = self.account(account_id)
        acc.config = replace(acc.config, accept_direct_calls=accept)
        acc.trust.accept_direct = (not acc.config.register) if accept is None else accept

    def make_call(
        self, account_id: str, target: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> str:
        return self.calls.make_call(self.account(account_id), target, headers)

    def account(self, account_id: str) -> SipAccount:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise UnknownAccount(f"No SIP account named '{account_id}' is configured.") from None

    def set_levels(self, speaker: float, mic: float) -> None:
        check_levels(speaker, mic)
        assert self._media is not None
        self._media.set_levels(speaker, mic)

    def _log_level(self, sip_trace: bool) -> int:
        level = self._config.log_level
        return max(level, TRACE_LEVEL) if sip_trace else level

    def set_sip_trace(self, on: bool) -> bool:
        """Start or stop the SIP trace (redacted): the next message is in it, or not. False when
        pjlib's level cannot be changed in this build: then the change starts with the next
        engine (stopping still works at once, by the writer's own bound)."""
        level = self._log_level(on)
        self._log_writer.level = level
        self._config = replace(self._config, sip_trace=on)
        if self._pj_log_level is None:
            return not on
        self._pj_log_level(level)
        return True

    def set_ringtone(self, ringtone: Ringtone) -> None:
        self._config = replace(self._config, ringtone=Ringtone(ringtone))
        if self._tones is not None:
            self._tones.set_ringtone(self._config.ringtone)

    def preview_ringtone(self, ringtone: Ringtone) -> float:
        if self._tones is None:
            raise EngineError("Ringtones play only when the app has sound devices.")
        return self._tones.preview(Ringtone(ringtone))

    def stop_ringtone_preview(self) -> None:
        if self._tones is not None:
            self._tones.stop_preview()

    def handle_ip_change(self) -> None:
        assert self._ep is not None
        prm = pj.IpChangeParam()
        self._ep.handleIpChange(prm)
        self.gate.refresh_all()

    # ---- diagnostics -----------------------------------------------------------------------

    def snapshot(self) -> EngineSnapshot:
        assert self._transports is not None
        accounts = {
            k: AccountSnapshot(
                registered=a.registered,
                retry_pending=a.retry_timer is not None,
                trusted=tuple(str(p) for p in a.trust.trusted()),
                accept_direct=a.trust.accept_direct,
            )
            for k, a in self._accounts.items()
        }
        return EngineSnapshot(
            accounts=accounts,
            calls=tuple(self.calls.ids()),
            transports=self._transports.local_names(),
            levels=self._media.levels if self._media is not None else None,
            ringtone=self._config.ringtone,
        )
