"""Seed data: companies, agents and settings from a small TOML file.

[settings]                      # optional
ttl_s = 86400
reauth_after_s = 3600

[[companies]]
code = "DEMO"                   # what agents type as the company code
slug = "demo"
name = "Demo Call Centre"
addon = true                    # the Agent Mobile App add-on
host = "127.0.0.1"              # the company's VICIdial server
sip = { transport = "udp", srtp = "off", codecs = ["PCMU", "PCMA"] }

[[companies.agents]]
username = "agent1"
password = "..."
extension = "1001"
sip_password = "..."
display_name = "Agent One"      # optional
active = true                   # optional; false = revoked
totp_secret = "BASE32..."       # optional; set = TOTP required

Load runs add generated agents to a loaded seed (`with_load_agents`): company LOAD, agents
load0001… whose credentials follow from their index alone (`load_agent`), so a load tool
computes them without reading the seed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from softphone.emulator import totp
from softphone.emulator.errors import SeedError
from softphone.emulator.model import (
    DEFAULT_REAUTH_AFTER_S,
    DEFAULT_TTL_S,
    MAX_TTL_S,
    Agent,
    Company,
    Settings,
    SipProfile,
)

DEMO_SEED = "demo_seed.toml"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EXTENSION = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
_SIP_CHOICES = {
    "transport": {"udp", "tcp", "tls"},
    "srtp": {"off", "optional", "mandatory"},
    "dtmf": {"rfc2833", "info"},
}
_AUTO_ANSWER = re.compile(r"^(off|always|header|after=\d{1,3})$")

LOAD_COMPANY_CODE = "LOAD"
LOAD_COMPANY_SLUG = "load"
LOAD_AGENTS_MAX = 2000
LOAD_FIRST_EXTENSION = 2001
_LOAD_SIP_FROM = "DEMO"  # the company whose host and SIP profile the load company copies


class LoadAgent(NamedTuple):
    """A generated load agent's sign-in: ``username, password, extension = load_agent(i)``."""

    username: str
    password: str
    extension: str

    @property
    def sip_password(self) -> str:
        return f"sip-{self.extension}-load"

    @property
    def display_name(self) -> str:
        return f"Load Agent {self.username.removeprefix('load')}"


def load_agent(index: int) -> LoadAgent:
    """The load agent number `index` (1 to LOAD_AGENTS_MAX), from the index alone."""
    if not 1 <= index <= LOAD_AGENTS_MAX:
        raise SeedError(f"A load agent's number must be between 1 and {LOAD_AGENTS_MAX}.")
    return LoadAgent(
        f"load{index:04d}", f"load-pass-{index:04d}", str(LOAD_FIRST_EXTENSION - 1 + index)
    )


def with_load_agents(companies: list[Company], count: int) -> list[Company]:
    """`companies` plus company LOAD with `count` generated agents (1 to LOAD_AGENTS_MAX):
    no TOTP, all active, auto-answer on the header; host and SIP profile as company DEMO's
    (the first company's when the seed has no DEMO)."""
    if not 1 <= count <= LOAD_AGENTS_MAX:
        raise SeedError(f"The number of load agents must be between 1 and {LOAD_AGENTS_MAX}.")
    for company in companies:
        if LOAD_COMPANY_CODE in (company.code.upper(), company.slug.upper()):
            raise SeedError(
                f"The seed already has a company {LOAD_COMPANY_CODE}: rename it to add load agents."
            )
    agents = {}
    for index in range(1, count + 1):
        login = load_agent(index)
        agents[login.username] = Agent(
            username=login.username,
            password=login.password,
            extension=login.extension,
            sip_password=login.sip_password,
            display_name=login.display_name,
        )
    taken = sorted(
        {a.extension for c in companies for a in c.agents.values()}
        & {a.extension for a in agents.values()}
    )
    if taken:
        raise SeedError(
            f"The seed's extension {taken[0]} is also a load agent's (they take "
            f"{LOAD_FIRST_EXTENSION} to {LOAD_FIRST_EXTENSION - 1 + count}): move the seed's "
            "agents or ask for fewer load agents."
        )
    model = next((c for c in companies if c.code.upper() == _LOAD_SIP_FROM), None)
    model = model or next(iter(companies), None)
    host, sip = (model.host, model.sip) if model else ("127.0.0.1", SipProfile())
    load = Company(
        code=LOAD_COMPANY_CODE,
        slug=LOAD_COMPANY_SLUG,
        name="Load test agents",
        host=host,
        addon_active=True,
        sip=replace(sip, auto_answer="header"),
        agents=agents,
    )
    return [*companies, load]


def demo_seed_text() -> str:
    return resources.files("softphone.emulator").joinpath(DEMO_SEED).read_text(encoding="utf-8")


def load_seed(path: Path | None = None) -> tuple[Settings, list[Company]]:
    """Read a seed file (the bundled demo seed without a path)."""
    if path is None:
        return parse_seed(demo_seed_text(), DEMO_SEED)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SeedError(f"Cannot read the seed file {path}: {err.strerror}.") from None
    return parse_seed(text, str(path))


def parse_seed(text: str, source: str = "seed") -> tuple[Settings, list[Company]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SeedError(f"{source} is not valid TOML: {err}.") from None
    _only(data, {"settings", "companies"}, source)
    settings = _settings(data.get("settings", {}), f"{source}: [settings]")
    raw_companies = data.get("companies")
    if not isinstance(raw_companies, list) or not raw_companies:
        raise SeedError(f"{source}: add at least one [[companies]] table.")
    companies = [_company(raw, f"{source}: companies[{i}]") for i, raw in enumerate(raw_companies)]
    for key in ("code", "slug"):
        seen: set[str] = set()
        for company in companies:
            value = getattr(company, key).upper()
            if value in seen:
                raise SeedError(f"{source}: two companies share the {key} {value!r}.")
            seen.add(value)
    return settings, companies


def _only(table: object, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise SeedError(f"{where} must be a table.")
    unknown = set(table) - allowed
    if unknown:
        raise SeedError(
            f"{where}: unknown keys {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})."
        )
    return table


def _get(table: dict[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    if key not in table:
        if default is None:
            raise SeedError(f"{where}: missing {key!r}.")
        return default
    value = table[key]
    if kind is int and isinstance(value, bool):
        raise SeedError(f"{where}: {key!r} must be a whole number.")
    if not isinstance(value, kind):
        raise SeedError(f"{where}: {key!r} must be a {kind.__name__}, not {value!r}.")
    if isinstance(value, str) and not value.strip():
        raise SeedError(f"{where}: {key!r} must not be empty.")
    return value


def _settings(raw: object, where: str) -> Settings:
    table = _only(raw, {"ttl_s", "reauth_after_s"}, where)
    settings = Settings(
        ttl_s=_get(table, "ttl_s", int, where, DEFAULT_TTL_S),
        reauth_after_s=_get(table, "reauth_after_s", int, where, DEFAULT_REAUTH_AFTER_S),
    )
    check_durations(settings.ttl_s, settings.reauth_after_s, where)
    return settings


def check_durations(ttl_s: int, reauth_after_s: int, where: str) -> None:
    if not 1 <= ttl_s <= MAX_TTL_S:
        raise SeedError(f"{where}: ttl_s must be between 1 and {MAX_TTL_S} seconds.")
    if not 1 <= reauth_after_s <= ttl_s:
        raise SeedError(f"{where}: reauth_after_s must be between 1 and ttl_s ({ttl_s}).")


def _company(raw: object, where: str) -> Company:
    table = _only(raw, {"code", "slug", "name", "addon", "host", "sip", "agents"}, where)
    slug = _get(table, "slug", str, where)
    if not _SLUG.match(slug):
        raise SeedError(f"{where}: slug {slug!r} must be lower-case letters, digits and dashes.")
    host = _get(table, "host", str, where, "127.0.0.1")
    agents_raw = table.get("agents", [])
    if not isinstance(agents_raw, list):
        raise SeedError(f"{where}: 'agents' must be a list of [[companies.agents]] tables.")
    agents: dict[str, Agent] = {}
    for i, agent_raw in enumerate(agents_raw):
        agent = _agent(agent_raw, f"{where}.agents[{i}]")
        if agent.username in agents:
            raise SeedError(f"{where}: two agents are named {agent.username!r}.")
        agents[agent.username] = agent
    return Company(
        code=_get(table, "code", str, where).strip().upper(),
        slug=slug,
        name=_get(table, "name", str, where, slug),
        host=host,
        addon_active=_get(table, "addon", bool, where, True),
        sip=_sip(table.get("sip", {}), host, f"{where}.sip"),
        agents=agents,
    )


def _sip(raw: object, host: str, where: str) -> SipProfile:
    names = {f.name for f in fields(SipProfile)}
    table = _only(raw, names, where)
    defaults = SipProfile(domain=host)
    values: dict[str, Any] = {}
    for name in names:
        default = getattr(defaults, name)
        kind = type(default) if name != "codecs" else list
        value = _get(table, name, kind, where, default if name != "proxy" else "")
        values[name] = tuple(value) if name == "codecs" else value
    for name, choices in _SIP_CHOICES.items():
        if values[name] not in choices:
            raise SeedError(f"{where}: {name} must be one of {', '.join(sorted(choices))}.")
    if not _AUTO_ANSWER.match(values["auto_answer"]):
        raise SeedError(f"{where}: auto_answer must be off, always, header or after=SECONDS.")
    if not 1 <= values["port"] <= 65535:
        raise SeedError(f"{where}: port must be between 1 and 65535.")
    return SipProfile(**values)


def _agent(raw: object, where: str) -> Agent:
    allowed = {
        "username", "password", "extension", "sip_password", "display_name", "active",
        "totp_secret",
    }  # fmt: skip
    table = _only(raw, allowed, where)
    extension = _get(table, "extension", str, where)
    if not _EXTENSION.match(extension):
        raise SeedError(f"{where}: extension {extension!r} has unsupported characters.")
    sip_password = _get(table, "sip_password", str, where)
    if any(c in sip_password for c in '"\\') or not sip_password.isprintable():
        raise SeedError(f"{where}: sip_password must not contain quotes or backslashes.")
    secret = _get(table, "totp_secret", str, where, "")
    if secret:
        try:
            totp.decode_secret(secret)
        except ValueError as err:
            raise SeedError(f"{where}: totp_secret is {err}.") from None
    return Agent(
        username=_get(table, "username", str, where),
        password=_get(table, "password", str, where),
        extension=extension,
        sip_password=sip_password,
        display_name=_get(table, "display_name", str, where, ""),
        active=_get(table, "active", bool, where, True),
        totp_secret=secret,
    )
