"""The emulator's records: companies, agents, SIP profiles, firewall leases, audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

DEFAULT_TTL_S = 86400
DEFAULT_REAUTH_AFTER_S = 3600
MAX_TTL_S = 30 * 86400  # also the largest in_s of an admin expire
AUDIT_RETENTION_S = 7 * 86400
AUDIT_MAX_ENTRIES = 10_000  # the oldest go first beyond this, whatever their age
AUDIT_TEXT_MAX = 64  # characters kept of a username or company code as typed
OUTAGE_MAX_REQUESTS = 10_000
RATE_LIMIT_FAILURES = 10
RATE_LIMIT_WINDOW_S = 3600

ADDON_INACTIVE_MESSAGE = (
    "The mobile app is not enabled for your organization. "
    "Ask your administrator to add the Agent Mobile App add-on from the dashboard."
)


def iso_utc(unix_time: float) -> str:
    """ISO-8601 UTC with a Z suffix and whole seconds, e.g. 2025-01-31T08:00:00Z."""
    return datetime.fromtimestamp(int(unix_time), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bounded_text(text: str, limit: int = AUDIT_TEXT_MAX) -> str:
    """`text` as safe to keep and show: control and other unprintable characters (and
    anything that is not valid Unicode) become "?", and it is cut to `limit` characters."""
    safe = "".join(
        c if c.isprintable() and not "\ud800" <= c <= "\udfff" else "?" for c in text[: limit + 1]
    )
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class SipProfile:
    """How a company's VICIdial server wants its phones configured."""

    domain: str = "127.0.0.1"
    proxy: str = ""
    transport: str = "udp"
    port: int = 5060
    srtp: str = "off"
    codecs: tuple[str, ...] = ("PCMU", "PCMA", "G722")
    reg_expires_s: int = 300
    keepalive_s: int = 15
    auto_answer: str = "header"
    dtmf: str = "rfc2833"


@dataclass(slots=True)
class Agent:
    username: str
    password: str = field(repr=False)
    extension: str
    sip_password: str = field(repr=False)
    display_name: str = ""
    active: bool = True
    totp_secret: str = field(default="", repr=False)

    def public(self) -> dict[str, object]:
        """What the admin API may show: never a password or the TOTP secret."""
        return {
            "username": self.username,
            "extension": self.extension,
            "display_name": self.display_name,
            "active": self.active,
            "totp": bool(self.totp_secret),
        }


@dataclass(slots=True)
class Company:
    code: str
    slug: str
    name: str
    host: str
    addon_active: bool
    sip: SipProfile
    agents: dict[str, Agent]

    def public(self) -> dict[str, object]:
        return {
            "code": self.code,
            "slug": self.slug,
            "name": self.name,
            "host": self.host,
            "addon_active": self.addon_active,
            "agents": [agent.public() for agent in self.agents.values()],
        }


@dataclass(slots=True)
class Settings:
    ttl_s: int = DEFAULT_TTL_S
    reauth_after_s: int = DEFAULT_REAUTH_AFTER_S


@dataclass(frozen=True, slots=True)
class FirewallLease:
    """An allow-rule for one source IP at one company's server."""

    ip: str
    company: str  # slug
    username: str
    granted_at: float
    expires_at: float

    def live(self, now: float) -> bool:
        return now < self.expires_at

    def public(self, now: float) -> dict[str, object]:
        return {
            "ip": self.ip,
            "company": self.company,
            "username": self.username,
            "granted_at": iso_utc(self.granted_at),
            "expires_at": iso_utc(self.expires_at),
            "live": self.live(now),
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One sign-in attempt: who tried, from where, when, and what came of it."""

    ip: str
    time: float
    username: str
    company: str  # the code as typed
    outcome: str  # "ok" or the error code returned

    def public(self) -> dict[str, object]:
        return {
            "ip": self.ip,
            "time": iso_utc(self.time),
            "username": self.username,
            "company": self.company,
            "outcome": self.outcome,
        }
