"""Events: frozen value classes carrying plain values, dispatched by type on the event bus.

Engine events are created on the SIP thread and handed to an injected ``emit``; whoever receives
them (the Qt bridge, the headless agent's loop) moves them to the thread that runs the core.
"""

from __future__ import annotations

import enum
import time

from softphone.core.values import asdict, field, value_class

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class RegistrationState(enum.StrEnum):
    UNREGISTERED = "unregistered"
    REGISTERING = "registering"
    REGISTERED = "registered"
    RETRYING = "retrying"
    FAILED = "failed"


class CallState(enum.StrEnum):
    """Call-state vocabulary, in the order a call usually walks through it."""

    CALLING = "calling"  # outgoing INVITE sent, no provisional reply with a To-tag yet
    INCOMING = "incoming"  # incoming INVITE, ringing locally
    RINGING = "ringing"  # the far end is alerting (180)
    EARLY_MEDIA = "early_media"  # 183 with SDP: audio before answer
    CONNECTING = "connecting"  # answered, waiting for ACK
    CONFIRMED = "confirmed"
    DISCONNECTED = "disconnected"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class HoldState(enum.StrEnum):
    NONE = "none"
    LOCAL = "local"  # we put the call on hold
    REMOTE = "remote"  # the far end put us on hold
    BOTH = "both"


class AnswerReason(enum.StrEnum):
    MANUAL = "manual"
    ALWAYS = "always"
    AFTER_DELAY = "after_delay"
    HEADER = "header"


@value_class(kw_only=True)
class Event:
    """What every event carries: ``at``, when it happened (``time.time()``).

    The events here are :func:`~softphone.core.values.value_class` classes (what
    ``@dataclass(frozen=True, slots=True, kw_only=True)`` makes, cheaper to import); a
    subclass elsewhere may be a ``@dataclass``.
    """

    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the event's type name under ``event``."""
        data = {"event": type(self).__name__, **asdict(self)}
        return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in data.items()}


@value_class(kw_only=True)
class EngineStarted(Event):
    version: str
    startup_ms: float


@value_class(kw_only=True)
class EngineStopped(Event):
    clean: bool


@value_class(kw_only=True)
class EngineFailure(Event):
    """Something failed outside any single command (e.g. the SIP library could not start)."""

    message: str


@value_class(kw_only=True)
class CommandFailed(Event):
    command: str
    message: str
    call_id: str = ""
    account_id: str = ""


@value_class(kw_only=True)
class RegistrationChanged(Event):
    account_id: str
    state: RegistrationState
    code: int = 0
    reason: str = ""
    expires_s: int = 0
    retry_in_s: float = 0.0
    transport: str = ""


@value_class(kw_only=True)
class IncomingCall(Event):
    call_id: str
    account_id: str
    remote_uri: str
    remote_number: str
    remote_display: str
    auto_answer_in_s: float | None  # None: waits for the user
    auto_answer_reason: AnswerReason | None
    waiting: bool  # another call is already up: call waiting
    # "host:port" of a direct call (one not from the account's own server, accepted because the
    # user allows direct calls; never auto-answered); "" for a call from the server.
    direct_from: str = ""


@value_class(kw_only=True)
class CallStateChanged(Event):
    call_id: str
    account_id: str
    state: CallState
    direction: Direction
    remote_uri: str
    remote_number: str
    remote_display: str
    sip_code: int = 0
    reason: str = ""
    duration_s: float = 0.0  # time since the call was confirmed
    connected: bool = False  # the call reached CONFIRMED at some point
    answered_by: AnswerReason | None = None


@value_class(kw_only=True)
class CallMediaChanged(Event):
    call_id: str
    hold: HoldState
    muted: bool
    active: bool
    codec: str = ""
    srtp: bool = False


@value_class(kw_only=True)
class DtmfReceived(Event):
    call_id: str
    digit: str
    method: str


@value_class(kw_only=True)
class TransferProgress(Event):
    call_id: str
    code: int
    reason: str
    final: bool


@value_class(kw_only=True)
class IncomingCallsShed(Event):
    """Incoming INVITEs arrived faster than the phone can take calls and ``count`` of them were
    answered 486 Busy Here without ringing (since the previous report; at most one a second).

    Usually a misbehaving or hostile peer: ``sources`` names the first few addresses
    ("host:port") they came from. The phone stays registered and takes calls again as soon as
    the rate drops.
    """

    count: int
    sources: tuple[str, ...] = ()


@value_class(kw_only=True)
class UntrustedRequestsRefused(Event):
    """``count`` SIP requests that would have started something (a call, a subscription) came
    from an address that is not the account's own server and were answered 403 Forbidden,
    before anything rang (since the previous report; at most one a second).

    ``sources`` names the first few addresses ("host:port"). Someone on the network is calling
    the phone directly; the user can accept such calls (never auto-answered) in the settings.
    """

    count: int
    sources: tuple[str, ...] = ()


@value_class(kw_only=True)
class CallQuality(Event):
    """How a call sounds, from its RTP and RTCP counters: every ``quality_interval_s`` while it
    is up, and once more as its audio stream ends (``final`` when the call has ended).

    ``rx_*`` is what we receive (lost: gaps in the far end's sequence numbers; jitter: RFC 3550
    interarrival, mean), ``tx_loss_pct`` what the far end reports losing of ours (RTCP; 0 until
    its first report), ``rtt_ms`` RTCP's round trip (0 until known), ``one_way_ms`` the mouth-to-
    ear estimate (half the round trip, the jitter buffer's delay and one 20 ms packet), and
    ``mos`` the E-model's estimate from them (:mod:`softphone.core.quality`)."""

    call_id: str
    codec: str
    rx_packets: int
    rx_loss_pct: float
    rx_jitter_ms: float
    tx_loss_pct: float
    rtt_ms: float
    one_way_ms: float
    mos: float
    final: bool = False


@value_class(kw_only=True)
class AudioStats(Event):
    """The audio bridge's counters (cumulative), reported periodically while a call is up.

    ``mic_*`` is the direction microphone → calls, ``speaker_*`` calls → speaker. Underruns are
    gaps heard; corrections are one-sample clock-drift adjustments, inaudible.
    """

    mic_underruns: int
    mic_overruns: int
    mic_corrections: int
    mic_fill_ms: float
    speaker_underruns: int
    speaker_overruns: int
    speaker_corrections: int
    speaker_fill_ms: float
    port_errors: int


@value_class(kw_only=True)
class LocalToneChanged(Event):
    """The call-progress tone played locally (never sent to the far end) changed.

    ``tone`` is "ringtone", "call_waiting", "ringback", "busy" or "reorder" and ``call_id`` the
    call it is for; both None when no tone plays any more. DTMF feedback is not reported.
    """

    tone: str | None
    call_id: str | None


@value_class(kw_only=True)
class Capabilities(Event):
    """What this build of the SIP library can do on this platform, found by the engine at each
    start (after ``libInit``, before any account) and emitted right after ``EngineStarted``.

    The pjsua2 wheels differ per platform (docs/platforms.md). ``tls``: a TLS transport can be
    created (``tls_detail`` says with what, or pjsip's reason why not); ``live_sip_trace``: the
    SIP trace can start while the engine runs (otherwise with the next start);
    ``unhandled_501``: requests nothing handles are answered 501/481 (otherwise not at all).
    """

    platform: str  # "Linux x86_64", "Windows AMD64", "macOS arm64"
    pjsua2_version: str  # the wheel ("2.15.1.post1")
    pjsip_version: str  # the library inside it ("2.15.1")
    tls: bool
    tls_detail: str
    live_sip_trace: bool
    unhandled_501: bool
    openssl: str = ""  # the OpenSSL the library uses, where it can be read ("" otherwise)
    tls_max_version: str = ""  # "1.2" or "1.3" from that OpenSSL; "" unknown or no TLS
    probe_ms: float = 0.0  # what finding all this added to the engine's start
