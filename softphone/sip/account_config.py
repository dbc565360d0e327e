"""pjsua2 account settings built from a provisioned ``SipAccountConfig``. SIP thread only."""

from __future__ import annotations

# The socket module's C core: ``socket`` itself costs the agent's start noticeably more to
# import (its enums, selectors), for nothing used here.
import _socket

import pjsua2 as pj

from softphone.core.models import SipAccountConfig, SrtpMode, Transport

_SRTP = {
    SrtpMode.OFF: pj.PJMEDIA_SRTP_DISABLED,
    SrtpMode.OPTIONAL: pj.PJMEDIA_SRTP_OPTIONAL,
    SrtpMode.MANDATORY: pj.PJMEDIA_SRTP_MANDATORY,
}


def build_account_config(config: SipAccountConfig, tid: int, bind_address: str) -> pj.AccountConfig:
    """The pjsua2 account settings for one provisioned SIP account."""
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
        ac.natConfig.udpKaIntervalSec = pjsip_keepalive_interval(config.keepalive_s)
    ac.mediaConfig.srtpUse = _SRTP[config.srtp]
    ac.mediaConfig.srtpSecureSignaling = 1 if config.srtp is SrtpMode.MANDATORY else 0
    media_ip = bind_address
    if media_ip in ("", "0.0.0.0", "::"):
        media_ip = route_source_address(hop, config.port)
    if media_ip:
        # Otherwise SDP c= carries the host's main address, not the one facing the server.
        ac.mediaConfig.transportConfig.boundAddress = media_ip
    return ac


def pjsip_keepalive_interval(seconds: int) -> int:
    """What to give pjsua for a keep-alive every ``seconds`` (0: none). pjsua sends it every
    ``udpKaIntervalSec - 1`` s, and given 1 without any pause at all (a flood at the server)."""
    return seconds + 1 if seconds > 0 else 0


def apply_codecs(ep: pj.Endpoint, wanted: tuple[str, ...]) -> None:
    """Codec priorities are process-wide in pjsua: the list of the newest account wins."""
    order = [w.lower() for w in wanted]
    for info in ep.codecEnum2():
        codec_id = str(info.codecId)
        name = codec_id.split("/", 1)[0].lower()
        prio = 255 - order.index(name) if name in order else 0
        ep.codecSetPriority(codec_id, prio)


def route_source_address(host: str, port: int) -> str:
    """The local address the OS would use to reach ``host`` (no packet is sent)."""
    try:
        family = _socket.AF_INET6 if ":" in host else _socket.AF_INET
        sock = _socket.socket(family, _socket.SOCK_DGRAM)
        try:
            sock.connect((host.strip("[]"), port or 5060))
            return str(sock.getsockname()[0])
        finally:
            sock.close()
    except OSError:
        return ""
