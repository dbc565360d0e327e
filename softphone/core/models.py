"""Plain value types shared by the engine, the stores, the UI and the headless agent.

The frozen value classes are :func:`~softphone.core.values.value_class` classes (what
``@dataclass(frozen=True, slots=True)`` makes, cheaper to import).
"""

from __future__ import annotations

import enum
import ipaddress
import re

from softphone.core.errors import ConfigError
from softphone.core.hosts import check_host
from softphone.core.secret import Secret
from softphone.core.values import field, value_class

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final


class Transport(enum.StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class SrtpMode(enum.StrEnum):
    OFF = "off"
    OPTIONAL = "optional"
    MANDATORY = "mandatory"


class DtmfMethod(enum.StrEnum):
    RFC2833 = "rfc2833"
    INFO = "info"


class AutoAnswerMode(enum.StrEnum):
    """How an incoming call is answered without the agent clicking.

    ``HEADER`` answers only when the INVITE asks for it (``Call-Info: ...;answer-after=N`` or an
    ``Alert-Info`` auto-answer hint), which is how VICIdial pulls an agent's phone into a session.
    """

    OFF = "off"
    ALWAYS = "always"
    AFTER = "after"
    HEADER = "header"


class Ringtone(enum.StrEnum):
    """The built-in ringtones (their sound: ``softphone.sip.cadences.RINGTONES``); ``NONE`` is
    silent."""

    WARBLE = "warble"
    CLASSIC = "classic"
    CHIME = "chime"
    NONE = "none"


DEFAULT_CODECS: tuple[str, ...] = ("PCMU", "PCMA", "G722", "GSM", "speex", "iLBC")
# What a server may provision (check_server_account): SIP user characters (RFC 3261 user-part,
# without ';' and escapes spelled out), a codec's name as pjsua lists it.
MAX_SIP_USER_CHARS: Final = 64
MAX_DISPLAY_NAME_CHARS: Final = 64
MAX_CODECS: Final = 16
_SIP_USER: Final = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,?/%]+", re.ASCII)
_CODEC: Final = re.compile(r"[A-Za-z0-9.\-]{1,32}", re.ASCII)


def has_control(text: str) -> bool:
    """C0 or C1 control characters (CR, LF, NUL, ESC…): never part of a SIP header value."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


@value_class
class AutoAnswerPolicy:
    mode: AutoAnswerMode = AutoAnswerMode.HEADER
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.delay_s <= 600.0:
            raise ConfigError("The auto-answer delay must be between 0 and 600 seconds.")

    @classmethod
    def parse(cls, text: str) -> AutoAnswerPolicy:
        """Parse ``off``, ``always``, ``header`` or ``after=N`` (seconds)."""
        value = text.strip().lower()
        if value.startswith("after="):
            try:
                delay = float(value.removeprefix("after="))
            except ValueError:
                raise ConfigError(f"'{text}' is not a delay: use after=SECONDS.") from None
            return cls(AutoAnswerMode.AFTER, delay)
        try:
            return cls(AutoAnswerMode(value))
        except ValueError:
            raise ConfigError(
                f"Unknown auto-answer mode '{text}': use off, always, header or after=SECONDS."
            ) from None


@value_class
class SipAccountConfig:
    """One SIP account as the employer's server provisions it (see docs/api)."""

    extension: str
    password: Secret = field(repr=False)
    domain: str
    proxy: str = ""
    transport: Transport = Transport.UDP
    port: int = 0
    srtp: SrtpMode = SrtpMode.OFF
    codecs: tuple[str, ...] = DEFAULT_CODECS
    reg_expires_s: int = 300
    keepalive_s: int = 15
    display_name: str = ""
    dtmf: DtmfMethod = DtmfMethod.RFC2833
    auto_answer: AutoAnswerPolicy = field(default_factory=AutoAnswerPolicy)
    auth_user: str = ""
    ca_file: str = ""
    verify_server: bool = True
    register: bool = True
    # Calls from anywhere but the account's own server (see core.trust): None accepts them only
    # for an account that does not register. Accepted ones ring; none is ever auto-answered.
    accept_direct_calls: bool | None = None
    # The local IP address this account's SIP and RTP sockets bind to ("" : the engine's
    # bind_address). Never from a server: a load run gives each emulated agent its own loopback
    # address so the server's firewall sees distinct agents.
    local_address: str = ""

    def __post_init__(self) -> None:
        if not self.extension or any(c in self.extension for c in "@:;<> \t\r\n"):
            raise ConfigError(
                "The SIP extension is empty or contains characters a SIP URI forbids."
            )
        if not self.domain or any(c in self.domain for c in "@;<> \t\r\n"):
            raise ConfigError("The SIP domain is empty or malformed.")
        texts = (self.domain, self.proxy, self.display_name, self.auth_user, *self.codecs)
        if any(has_control(t) for t in texts):
            raise ConfigError("The SIP account contains control characters (a line break?).")
        if not 0 <= self.port <= 65535:
            raise ConfigError("The SIP port must be between 0 and 65535.")
        if not 60 <= self.reg_expires_s <= 86400:
            raise ConfigError("The registration expiry must be between 60 and 86400 seconds.")
        if not 0 <= self.keepalive_s <= 3600:
            raise ConfigError("The keep-alive interval must be between 0 and 3600 seconds.")
        if self.local_address:
            try:
                ipaddress.ip_address(self.local_address)
            except ValueError:
                raise ConfigError("The local address must be an IP address.") from None
        if self.srtp is SrtpMode.MANDATORY and self.transport is not Transport.TLS:
            raise ConfigError("Mandatory SRTP needs the TLS transport (SDES keys travel in SIP).")

    @property
    def server_hostport(self) -> str:
        """``host[:port]`` of the first hop: the proxy when given, else the domain."""
        host = self.proxy or self.domain
        if self.port and ":" not in host.rsplit("]", 1)[-1]:
            host = f"{host}:{self.port}"
        return host

    @property
    def aor(self) -> str:
        return f"sip:{self.extension}@{self.domain}"


def check_server_account(account: SipAccountConfig) -> None:
    """The stricter rules for an account a server sent (provisioning, and its keychain copy):
    ConfigError naming the first field that breaks them. Hosts: :mod:`softphone.core.hosts`."""
    check_host(account.domain, "The SIP domain")
    if account.proxy:
        check_host(account.proxy, "The SIP outbound proxy")
    if not 1 <= account.port <= 65535:
        raise ConfigError("The SIP port must be between 1 and 65535.")
    users = (("extension", account.extension), ("authentication user", account.auth_user))
    for what, user in users:
        if user and not (len(user) <= MAX_SIP_USER_CHARS and _SIP_USER.fullmatch(user)):
            raise ConfigError(
                f"The SIP {what} is longer than {MAX_SIP_USER_CHARS} characters or has characters "
                "a SIP address cannot hold."
            )
    name = account.display_name
    if len(name) > MAX_DISPLAY_NAME_CHARS or not name.isprintable() or set(name) & set('"\\'):
        raise ConfigError(
            f"The display name is longer than {MAX_DISPLAY_NAME_CHARS} characters, or has a "
            'quote ("), a backslash or characters that cannot be shown.'
        )
    if not 1 <= len(account.codecs) <= MAX_CODECS or not all(
        _CODEC.fullmatch(codec) for codec in account.codecs
    ):
        raise ConfigError(f"The codec list must name 1 to {MAX_CODECS} codecs, like PCMU or G722.")


MAX_LEVEL = 2.0  # +6 dB; louder only clips


def check_levels(speaker: float, mic: float) -> None:
    """Audio gains: 1.0 leaves the signal unchanged, 0 silences it, at most ``MAX_LEVEL``."""
    for name, value in (("speaker", speaker), ("microphone", mic)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"The {name} level must be a number.")
        if not 0.0 <= value <= MAX_LEVEL:
            raise ConfigError(f"The {name} level must be between 0 and {MAX_LEVEL:g}.")


@value_class
class EngineConfig:
    """Process-wide engine settings."""

    bind_address: str = "0.0.0.0"
    user_agent: str = "VICIfast-Desktop"
    max_calls: int = 4
    log_level: int = 0
    sip_trace: bool = False
    poll_interval_ms: int = 500
    audio_stats_interval_s: float = 5.0
    quality_interval_s: float = 5.0  # how often each call's CallQuality is reported
    local_tones: bool = True  # ringtone, ringback, busy, DTMF feedback... (with sound devices)
    speaker_level: float = 1.0  # gain on what the sound device plays (1.0 unchanged, 0 silent)
    mic_level: float = 1.0  # gain on the microphone before it reaches calls
    ringtone: Ringtone = Ringtone.WARBLE

    def __post_init__(self) -> None:
        check_levels(self.speaker_level, self.mic_level)
        if not 1 <= self.max_calls <= 4:
            raise ConfigError("max_calls must be between 1 and 4 (the SIP library's limit).")
        if not 5 <= self.poll_interval_ms <= 5000:
            raise ConfigError("poll_interval_ms must be between 5 and 5000.")
        if not 0.2 <= self.audio_stats_interval_s <= 3600:
            raise ConfigError("audio_stats_interval_s must be between 0.2 and 3600.")
        if not 0.2 <= self.quality_interval_s <= 3600:
            raise ConfigError("quality_interval_s must be between 0.2 and 3600.")


@value_class
class AccountSnapshot:
    """One engine account as it is now."""

    registered: bool
    retry_pending: bool  # our re-registration timer is armed
    trusted: tuple[str, ...]  # the addresses whose requests it acts on ("host:port")
    accept_direct: bool  # calls from other addresses ring (never auto-answered)


@value_class
class EngineSnapshot:
    """What the engine holds now: for the app's transport line, demos, diagnostics and tests."""

    accounts: dict[str, AccountSnapshot]
    calls: tuple[str, ...]
    transports: dict[str, str]  # "udp" / "tcp" / "tls" → the local "host:port" it listens on
    levels: tuple[float, float] | None  # (speaker, microphone); None without sound devices
    ringtone: Ringtone
