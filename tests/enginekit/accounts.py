"""Accounts for tests: unregistered peers on one engine, and accounts on the test registrar."""

from __future__ import annotations

from dataclasses import dataclass

from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, SipAccountConfig
from softphone.core.secret import Secret
from softphone.sip.engine import SipEngine

TIMEOUT = 10.0


def peer_config(extension: str, **overrides: object) -> SipAccountConfig:
    values: dict[str, object] = {
        "extension": extension,
        "password": Secret(f"pw-{extension}"),
        "domain": "127.0.0.1",
        "register": False,
        "auto_answer": AutoAnswerPolicy(AutoAnswerMode.OFF),
    }
    values.update(overrides)
    return SipAccountConfig(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Peers:
    """Unregistered accounts of one engine that reach each other on its UDP transport."""

    engine: SipEngine
    hostport: str

    def uri(self, extension: str) -> str:
        return f"sip:{extension}@{self.hostport}"


def add_peers(engine: SipEngine, *configs: SipAccountConfig) -> Peers:
    for config in configs:
        engine.add_account(config, config.extension).result(TIMEOUT)
    hostport = engine.snapshot().result(TIMEOUT).transports["udp"]
    return Peers(engine, str(hostport))
