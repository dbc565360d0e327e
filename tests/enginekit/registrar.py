"""Account configs for the test registrar (kamailio) and for sipp acting as one."""

from __future__ import annotations

from typing import Literal

from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, SipAccountConfig, Transport
from softphone.core.secret import Secret
from tests.support.kamailio import Kamailio

DOMAIN = "vicidial.test"  # like a VICIdial server's host name; kamailio aliases it


def kamailio_account(
    kam: Kamailio,
    user: str,
    transport: Literal["udp", "tcp", "tls"] = "udp",
    **overrides: object,
) -> SipAccountConfig:
    """An account of ``kam``'s users map, registering through kamailio as outbound proxy."""
    values: dict[str, object] = {
        "extension": user,
        "password": Secret(kam.users[user]),
        "domain": kam.domain,
        "proxy": "127.0.0.1",
        "port": kam.port(transport),
        "transport": Transport(transport),
        "ca_file": str(kam.ca_pem),
        "auto_answer": AutoAnswerPolicy(AutoAnswerMode.OFF),
    }
    values.update(overrides)
    return SipAccountConfig(**values)  # type: ignore[arg-type]
