"""The emulator's in-memory world and the rules of both server contracts.

Every method takes `now` (unix seconds) from the caller, so tests drive time with a fake clock.
Methods are thread-safe: the HTTP server and an embedding test may call them concurrently.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from softphone.emulator import totp
from softphone.emulator.errors import AdminError, SeedError
from softphone.emulator.model import (
    ADDON_INACTIVE_MESSAGE,
    AUDIT_MAX_ENTRIES,
    AUDIT_RETENTION_S,
    MAX_TTL_S,
    OUTAGE_MAX_REQUESTS,
    RATE_LIMIT_FAILURES,
    RATE_LIMIT_WINDOW_S,
    Agent,
    AuditEntry,
    Company,
    FirewallLease,
    Settings,
    bounded_text,
)
from softphone.emulator.seed import check_durations, load_seed, with_load_agents

FirewallListener = Callable[[dict[str, float], dict[str, str]], None]
"""Called with the live allow-rules (source IP -> expiry, unix seconds) and the SIP accounts
of active agents (extension -> SIP password) after each change of either."""

# Outcomes that are not counted towards the rate limit: a correct password still waiting for
# its TOTP code, and the refusals of the limit itself.
_NOT_FAILURES = {"ok", "totp_required", "rate_limited"}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A contract error: HTTP status, error code and, where the contract has them, extras."""

    status: int
    error: str
    message: str = ""
    retry_after_s: int = 0


@dataclass(frozen=True, slots=True)
class Grant:
    token: str
    reauth_after_s: int
    ttl_s: int
    company: Company
    lease: FirewallLease


class EmulatorState:
    def __init__(self, settings: Settings, companies: list[Company]) -> None:
        self.settings = settings
        self._by_code = {c.code.upper(): c for c in companies}
        self._by_slug = {c.slug: c for c in companies}
        self._leases: dict[tuple[str, str], FirewallLease] = {}
        self._audit: list[AuditEntry] = []
        self._failures: dict[str, list[float]] = {}
        self._config_version: dict[str, int] = {c.slug: 1 for c in companies}
        self._listeners: list[FirewallListener] = []
        self._lines: dict[str, str] = {}  # extension -> SIP password of the PBX's own lines
        self._outage = 0  # requests still to be answered 503 (the admin's simulated outage)
        self._lock = threading.RLock()

    @classmethod
    def from_seed(cls, path: Path | None = None, *, load_agents: int = 0) -> EmulatorState:
        """The world of a seed file (the bundled demo without a path), plus `load_agents`
        generated load agents (company LOAD; see `seed.with_load_agents`) when above 0."""
        settings, companies = load_seed(path)
        if load_agents:
            companies = with_load_agents(companies, load_agents)
        return cls(settings, companies)

    @property
    def companies(self) -> list[Company]:
        return list(self._by_code.values())

    def add_firewall_listener(self, listener: FirewallListener, now: float) -> None:
        with self._lock:
            self._listeners.append(listener)
            listener(self._firewall(now), self._sip_users())

    # simulated outage ---------------------------------------------------------------

    def set_outage(self, requests: int) -> None:
        """Answer the next ``requests`` login/provisioning requests with 503 (0 ends it)."""
        if not 0 <= requests <= OUTAGE_MAX_REQUESTS:
            raise AdminError(f"requests must be between 0 and {OUTAGE_MAX_REQUESTS}.")
        with self._lock:
            self._outage = requests

    def take_outage(self) -> bool:
        """True (and one fewer to go) while a simulated outage lasts."""
        with self._lock:
            if self._outage <= 0:
                return False
            self._outage -= 1
            return True

    # control plane ----------------------------------------------------------------

    def login(
        self, *, username: str, password: str, company_code: str, code: str, ip: str, now: float
    ) -> Grant | Refusal:
        with self._lock:
            result = self._rate_limit(ip, now) or self._login(
                username, password, company_code, code, ip, now
            )
            outcome = "ok" if isinstance(result, Grant) else result.error
            # bounded and printable: the audit is kept 7 days and shown to the admin
            entry = AuditEntry(ip, now, bounded_text(username), bounded_text(company_code), outcome)
            self._record(entry)
            self._count_failure(ip, now, outcome)
            if isinstance(result, Grant):
                self._notify(now)
            return result

    def _login(  # noqa: PLR0917 - private twin of login()
        self, username: str, password: str, company_code: str, code: str, ip: str, now: float
    ) -> Grant | Refusal:
        company = self._by_code.get(company_code.strip().upper())
        if company is None:
            return Refusal(404, "unknown_company")
        if not company.addon_active:  # credentials deliberately not checked
            return Refusal(403, "addon_inactive", message=ADDON_INACTIVE_MESSAGE)
        agent = _check_password(company, username, password)
        if agent is None:
            return Refusal(401, "invalid_credentials")
        if not agent.active:
            return Refusal(403, "account_revoked")
        if agent.totp_secret:
            if not code:
                return Refusal(401, "totp_required")
            if not totp.verify(agent.totp_secret, code, now):
                return Refusal(401, "totp_invalid")
        ttl = self.settings.ttl_s
        lease = FirewallLease(ip, company.slug, agent.username, now, now + ttl)
        self._leases[(company.slug, ip)] = lease
        token = secrets.token_urlsafe(32)
        return Grant(token, self.settings.reauth_after_s, ttl, company, lease)

    # employer's provisioning endpoint ------------------------------------------

    def provision(
        self, slug: str, username: str, password: str, *, ip: str, now: float
    ) -> tuple[Agent, int] | Refusal:
        """The agent and the config version, or 401/403 (404 for a server we do not host).

        Shares the login's rate limit: failures here count for `ip` there, and an IP blocked
        on either is refused (429) on both, before the password is checked."""
        with self._lock:
            result = self._rate_limit(ip, now) or self._provision(slug, username, password)
            if isinstance(result, Refusal):
                self._count_failure(ip, now, result.error)
            return result

    def _provision(self, slug: str, username: str, password: str) -> tuple[Agent, int] | Refusal:
        company = self._by_slug.get(slug)
        if company is None:
            return Refusal(404, "unknown_server")
        agent = _check_password(company, username, password)
        if agent is None:
            return Refusal(401, "invalid_credentials")
        if not agent.active:
            return Refusal(403, "account_revoked")
        return agent, self._config_version[slug]

    def company_by_slug(self, slug: str) -> Company | None:
        return self._by_slug.get(slug)

    def route_sip_to(self, host: str, port: int, transport: str = "udp") -> None:
        """Point every company's SIP profile at a running registrar (and bump config_version)."""
        with self._lock:
            for company in self.companies:
                company.sip = replace(
                    company.sip, domain=host, proxy=host, port=port, transport=transport
                )
                self._config_version[company.slug] += 1

    # administration -----------------------------------------------------------

    def set_agent_active(self, company_code: str, username: str, active: bool, now: float) -> None:
        """Revoke (active=False) or restore an agent; revoking also closes its leases."""
        with self._lock:
            company = self._company(company_code)
            agent = company.agents.get(username)
            if agent is None:
                raise AdminError(f"Company {company.code} has no agent {username!r}.")
            agent.active = active
            if not active:
                for key, lease in list(self._leases.items()):
                    if lease.company == company.slug and lease.username == username:
                        del self._leases[key]
            self._notify(now)

    def set_addon(self, company_code: str, active: bool) -> None:
        """Lapse or restore the add-on; existing leases run until they expire."""
        with self._lock:
            self._company(company_code).addon_active = active

    def set_durations(self, now: float, ttl_s: int | None, reauth_after_s: int | None) -> None:
        """Change the TTL and re-auth interval of leases granted from now on."""
        with self._lock:
            ttl = self.settings.ttl_s if ttl_s is None else ttl_s
            reauth = self.settings.reauth_after_s if reauth_after_s is None else reauth_after_s
            if reauth_after_s is None and ttl_s is not None:
                reauth = min(reauth, ttl)
            try:
                check_durations(ttl, reauth, "settings")
            except SeedError as err:
                raise AdminError(str(err)) from None
            self.settings = Settings(ttl_s=ttl, reauth_after_s=reauth)

    def expire_leases(self, ip: str, now: float, in_s: int = 0) -> int:
        """Make the live leases of `ip` expire `in_s` seconds from now; how many there were."""
        if not 0 <= in_s <= MAX_TTL_S:  # later than that, the lease could outlive any date
            raise AdminError(f"in_s must be between 0 and {MAX_TTL_S}.")
        with self._lock:
            hits = [k for k, lease in self._leases.items() if lease.ip == ip and lease.live(now)]
            for key in hits:
                self._leases[key] = replace(self._leases[key], expires_at=now + in_s)
            if hits:
                self._notify(now)
            return len(hits)

    def leases(self, now: float) -> list[FirewallLease]:
        with self._lock:
            return sorted(self._leases.values(), key=lambda lease: lease.granted_at)

    def firewall(self, now: float) -> dict[str, float]:
        with self._lock:
            return self._firewall(now)

    def allowed(self, ip: str, now: float) -> bool:
        return ip in self.firewall(now)

    def audit(self, now: float) -> list[AuditEntry]:
        with self._lock:
            self._purge(now)
            return list(self._audit)

    def sip_users(self) -> dict[str, str]:
        """extension -> SIP password of every agent and line, for the registrar."""
        with self._lock:
            agents = {
                a.extension: a.sip_password for c in self.companies for a in c.agents.values()
            }
            return agents | self._lines

    def add_sip_line(self, extension: str, sip_password: str, now: float) -> None:
        """A SIP account of the employer's server that is not an agent (demo mode's echo and
        tone lines): it can register, but nobody signs in with it."""
        with self._lock:
            if extension in self.sip_users():
                raise AdminError(f"The extension {extension} is already taken.")
            self._lines[extension] = sip_password
            self._notify(now)

    # internals ------------------------------------------------------------------

    def _rate_limit(self, ip: str, now: float) -> Refusal | None:
        """429 while `ip` has RATE_LIMIT_FAILURES failures in the window (login + provision)."""
        recent = [t for t in self._failures.get(ip, []) if t > now - RATE_LIMIT_WINDOW_S]
        if recent:
            self._failures[ip] = recent
        else:
            self._failures.pop(ip, None)
        if len(recent) >= RATE_LIMIT_FAILURES:
            retry = recent[-RATE_LIMIT_FAILURES] + RATE_LIMIT_WINDOW_S - now
            return Refusal(429, "rate_limited", retry_after_s=max(1, math.ceil(retry)))
        return None

    def _count_failure(self, ip: str, now: float, outcome: str) -> None:
        if outcome not in _NOT_FAILURES:
            self._failures.setdefault(ip, []).append(now)

    def _company(self, code: str) -> Company:
        company = self._by_code.get(code.strip().upper())
        if company is None:
            raise AdminError(f"No company with the code {code!r}.")
        return company

    def _firewall(self, now: float) -> dict[str, float]:
        rules: dict[str, float] = {}
        for lease in self._leases.values():
            if lease.live(now):
                rules[lease.ip] = max(rules.get(lease.ip, 0.0), lease.expires_at)
        return rules

    def _sip_users(self) -> dict[str, str]:
        agents = {
            a.extension: a.sip_password
            for c in self.companies
            for a in c.agents.values()
            if a.active
        }
        return agents | self._lines

    def _notify(self, now: float) -> None:
        rules, users = self._firewall(now), self._sip_users()
        for listener in self._listeners:
            listener(rules, users)

    def _record(self, entry: AuditEntry) -> None:
        self._audit.append(entry)
        self._purge(entry.time)
        del self._audit[:-AUDIT_MAX_ENTRIES]

    def _purge(self, now: float) -> None:
        cutoff = now - AUDIT_RETENTION_S
        if self._audit and self._audit[0].time <= cutoff:  # entries come in time order
            self._audit = [e for e in self._audit if e.time > cutoff]


def _check_password(company: Company, username: str, password: str) -> Agent | None:
    agent = company.agents.get(username)
    # compare even for an unknown user, so timing does not tell which usernames exist
    expected = agent.password if agent else "\x00unknown"
    ok = hmac.compare_digest(expected.encode(), password.encode())
    return agent if ok and agent is not None else None
