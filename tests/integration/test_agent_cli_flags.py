"""The headless agent's flags, run as users run them (``vicifast-phone agent`` in its own
process), each checked by what a peer or the registrar really sees: kamailio's bindings, the
SIP messages sipp received, the RTP and keep-alive datagrams that reached a socket of this test.

Flags covered elsewhere end to end: --call/--dtmf/--hangup-after and a rejected password
(test_headless_agent.py), --accept-direct-calls (test_trust_boundary.py), --signin with a
first sign-in, a resume and --signout (test_signin_e2e.py).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from softphone.cli.agent_inputs import PASSWORD_ENV, SIGNIN_PASSWORD_ENV
from softphone.emulator.model import ADDON_INACTIVE_MESSAGE
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from tests.enginekit.agent_process import AGENT, SignInAgentProcess
from tests.integration.conftest import AgentFactory
from tests.support.kamailio import Kamailio
from tests.support.ports import HOST
from tests.support.process import wait_until
from tests.support.secret_service import SecretService
from tests.support.sipp import Sipp, SippProcess, scenario_path
from tests.support.udp_registrar import UdpRegistrar, header

pytestmark = pytest.mark.integration

WAIT = 15.0
USER = "1002"
TELEPHONE_EVENT = 101  # the payload type uas_answer answers for telephone-event


# ---- helpers --------------------------------------------------------------------------------


Spawn = Callable[..., SignInAgentProcess]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """spawn(*agent args, env=..., name=...) -> a started agent given its whole command line
    (``--json`` added); every one stopped at teardown."""
    started: list[SignInAgentProcess] = []

    def make(*args: str, env: Mapping[str, str], name: str = "agent") -> SignInAgentProcess:
        agent = SignInAgentProcess(tmp_path, args, env=env, name=f"{name}{len(started)}")
        started.append(agent)
        agent.start()
        return agent

    yield make
    for agent in reversed(started):
        agent.stop()


def sip_env(password: str) -> dict[str, str]:
    return {PASSWORD_ENV: password}


@pytest.fixture
def registrar_factory() -> Iterator[Callable[..., UdpRegistrar]]:
    made: list[UdpRegistrar] = []

    def make(**kwargs: Any) -> UdpRegistrar:
        made.append(UdpRegistrar(**kwargs))
        return made[-1]

    yield make
    for registrar in made:
        registrar.close()


def at_registrar(registrar: UdpRegistrar, *extra: str) -> list[str]:
    """Agent arguments for extension 1002 registering straight at ``registrar``."""
    return ["--bind", HOST, "--server", HOST, "--port", str(registrar.port),
            "--extension", USER, *extra]  # fmt: skip


class RtpSink:
    """A UDP socket of this process that a call's SDP names as the peer's media address."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((HOST, 0))
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]
        self.packets: list[bytes] = []

    def drain(self) -> list[bytes]:
        while True:
            try:
                self.packets.append(self._sock.recv(2048))
            except BlockingIOError:
                return self.packets

    def telephone_events(self) -> list[int]:
        """The RFC 2833 events received, each once, in order (from their end packets)."""
        events: list[int] = []
        for packet in self.drain():
            if len(packet) < 16 or packet[1] & 0x7F != TELEPHONE_EVENT:
                continue
            start = 12 + 4 * (packet[0] & 0x0F)  # past the CSRC list
            event, flags = struct.unpack_from("!BB", packet, start)
            if flags & 0x80 and (not events or events[-1] != event):
                events.append(event)
        return events

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def rtp_sink() -> Iterator[RtpSink]:
    sink = RtpSink()
    yield sink
    sink.close()


def uas_with_media_at(sipp: Sipp, port: int) -> SippProcess:
    """uas_answer, except that its SDP answer names ``port`` (an RtpSink) for media."""
    path = sipp.workdir / "uas_answer_media_at.xml"
    text = scenario_path("uas_answer").read_text()
    assert "m=audio [media_port]" in text
    path.write_text(text.replace("m=audio [media_port]", "m=audio [rtp_port]"))
    return sipp.start(path, keys={"rtp_port": port})


def sdp_of_first_invite(uas: SippProcess) -> str:
    invites = uas.wait(WAIT).received_requests("INVITE")
    assert invites, uas.wait(WAIT).describe()
    return invites[0]


# ---- calls: hold, DTMF, SRTP ----------------------------------------------------------------


def test_hold_after_puts_the_call_on_hold_after_that_many_seconds(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    uas = sipp.start("uas_answer")
    agent = agent_factory(kam, USER, "--call", uas.uri(), "--hold-after", "1.0")
    confirmed = agent.wait_event(WAIT, event="CallStateChanged", state="confirmed")
    held = agent.wait_event(WAIT, event="CallMediaChanged", hold="local")
    assert 1.0 <= held["at"] - confirmed["at"] < 4.0
    assert agent.stop() == 0  # hangs up the call on the way out
    invites = uas.wait(WAIT).received_requests("INVITE")
    assert len(invites) == 2, uas.wait(WAIT).describe()
    assert re.search(r"^a=sendrecv", invites[0], re.M)
    assert re.search(r"^a=(sendonly|inactive)", invites[1], re.M)


@pytest.mark.parametrize("method", ["rfc2833", "info"])
def test_dtmf_method_chooses_rtp_events_or_sip_info(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory, rtp_sink: RtpSink, method: str
) -> None:
    # one digit: pjsua sends the INFO of a next digit before the first one's answer, which
    # sipp's scenario cannot take
    uas = uas_with_media_at(sipp, rtp_sink.port)
    agent = agent_factory(kam, USER, "--call", uas.uri(), "--dtmf", "7", "--dtmf-method", method)
    agent.wait_event(WAIT, event="CallStateChanged", state="confirmed")
    wait_until(lambda: len(rtp_sink.drain()) >= 10, WAIT, "the call's audio at the sink")
    if method == "rfc2833":
        wait_until(lambda: rtp_sink.telephone_events() == [7], WAIT, "RTP event 7")
    else:
        wait_until(lambda: "INFO sip:" in _read(uas.message_file), WAIT, "a SIP INFO at sipp")
    assert agent.stop() == 0
    infos = uas.wait(WAIT).received_requests("INFO")
    if method == "rfc2833":
        assert infos == []
    else:
        assert [_body_signal(info) for info in infos] == ["7"]
        assert "application/dtmf-relay" in header(infos[0], "Content-Type")
        assert rtp_sink.telephone_events() == []


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _body_signal(message: str) -> str:
    found = re.search(r"^Signal\s*=\s*(\S+)", message, re.M)
    return found.group(1) if found else ""


def test_srtp_optional_offers_sdes_keys_and_still_talks_to_a_plain_peer(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    uas = sipp.start("uas_answer")
    agent = agent_factory(
        kam, USER, "--srtp", "optional", "--call", uas.uri(), "--hangup-after", "0.2"
    )
    assert agent.process.wait_exit(WAIT) == 0
    offer = sdp_of_first_invite(uas)
    assert re.search(r"^m=audio \d+ RTP/AVP ", offer, re.M)
    assert re.search(r"^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:", offer, re.M)
    ended = agent.wait_event(event="CallStateChanged", state="disconnected")
    assert ended["connected"] is True
    uas.wait(WAIT).assert_ok()


def test_srtp_mandatory_offers_only_savp_and_fails_the_call_to_a_plain_peer(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    uas = sipp.start("uas_answer")
    tls = ["--transport", "tls", "--port", str(kam.port("tls")), "--ca-file", str(kam.ca_pem)]
    agent = agent_factory(kam, USER, *tls, "--srtp", "mandatory", "--call", uas.uri())
    assert agent.process.wait_exit(WAIT) == 2
    offer = sdp_of_first_invite(uas)
    assert re.search(r"^m=audio \d+ RTP/SAVP ", offer, re.M)
    assert re.search(r"^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:", offer, re.M)
    assert "vicifast-phone: The call failed" in agent.process.log_text()


# ---- registration: transport, credentials, identity, keep-alive, time limit ----------------


def test_transport_tls_registers_over_tls_verified_with_the_ca_file(
    kam: Kamailio, agent_factory: AgentFactory
) -> None:
    tls = ["--transport", "tls", "--port", str(kam.port("tls")), "--ca-file", str(kam.ca_pem)]
    agent = agent_factory(kam, USER, *tls)
    agent.wait_event(WAIT, event="RegistrationChanged", state="registered", transport="tls")
    (contact,) = kam.wait_registered(USER)
    assert contact.socket.startswith("tls:")


def test_transport_tls_refuses_a_server_the_ca_file_does_not_vouch_for(
    kam: Kamailio, agent_factory: AgentFactory, tmp_path: Path
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    tls = ["--transport", "tls", "--port", str(kam.port("tls")), "--ca-file", str(other_ca)]
    agent = agent_factory(kam, USER, *tls)
    assert agent.process.wait_exit(WAIT) == 1
    assert "vicifast-phone: Registration failed" in agent.process.log_text()
    assert kam.contacts(USER) == []


def test_auth_user_and_display_name_are_what_the_registrar_sees(
    registrar_factory: Callable[..., UdpRegistrar], spawn: Spawn
) -> None:
    password = "pw-" + secrets.token_hex(6)
    registrar = registrar_factory(credentials=("agent-login-7", password))
    args = at_registrar(registrar, "--auth-user", "agent-login-7", "--display-name", "Ann Agent")
    agent = spawn(*args, env=sip_env(password))
    agent.wait_event(WAIT, event="RegistrationChanged", state="registered")
    challenged, answered = registrar.registers()[:2]
    assert header(challenged, "Authorization") == ""
    assert 'username="agent-login-7"' in header(answered, "Authorization")
    assert re.match(r'"Ann Agent" <sip:1002@127\.0\.0\.1>', header(answered, "From"))


def test_keepalive_sends_crlf_to_the_registrar_at_that_interval(
    registrar_factory: Callable[..., UdpRegistrar], spawn: Spawn
) -> None:
    registrars = {interval: registrar_factory() for interval in (1, 2)}
    agents = [
        spawn(*at_registrar(registrar, "--keepalive", str(interval)), env=sip_env("x-pw"))
        for interval, registrar in registrars.items()
    ]
    for agent in agents:
        agent.wait_event(WAIT, event="RegistrationChanged", state="registered")
    for interval, registrar in registrars.items():
        wait_until(partial(_has_keepalives, registrar, 3), WAIT, "three keep-alives")
        times = registrar.keepalives()[:3]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(interval - 0.4 < gap < interval + 0.6 for gap in gaps), (interval, gaps)


def _has_keepalives(registrar: UdpRegistrar, count: int) -> bool:
    return len(registrar.keepalives()) >= count


def test_register_timeout_gives_up_when_the_registrar_never_answers(
    registrar_factory: Callable[..., UdpRegistrar], spawn: Spawn
) -> None:
    registrar = registrar_factory(answer=False)
    agent = spawn(*at_registrar(registrar, "--register-timeout", "2"), env=sip_env("x-pw"))
    assert agent.process.wait_exit(WAIT) == 1  # pjsip alone would wait 32 s for an answer
    ended = time.time()
    first_register = registrar.datagrams()[0][0]
    assert registrar.registers(), "the agent never tried"
    assert 2.0 <= ended - first_register < 8.0
    assert "vicifast-phone: Registration did not complete in time." in agent.process.log_text()


def test_sip_trace_logs_the_sip_messages_with_credentials_redacted(
    kam: Kamailio, agent_factory: AgentFactory
) -> None:
    traced = agent_factory(kam, USER, "--sip-trace")
    quiet = agent_factory(kam, "1003")
    for agent in (traced, quiet):
        agent.wait_event(WAIT, event="RegistrationChanged", state="registered")
    assert traced.stop() == 0 and quiet.stop() == 0
    log = traced.process.log_text()
    assert re.search(r"^REGISTER sip:\S+ SIP/2\.0", log, re.M)
    assert re.search(r"^SIP/2\.0 401 Unauthorized", log, re.M)
    assert re.search(r"^SIP/2\.0 200 OK", log, re.M)
    authorization = re.findall(r"^Authorization:.*$", log, re.M)
    assert authorization and all("response=<redacted>" in a for a in authorization)
    assert kam.users[USER] not in log
    assert "REGISTER sip:" not in quiet.process.log_text()  # no trace without the flag


def test_an_engine_that_cannot_open_its_transport_exits_3_with_the_reason(spawn: Spawn) -> None:
    # 127.0.0.256 is no address at all: pjsip cannot bind its SIP socket to it
    args = ["--bind", "127.0.0.256", "--server", HOST, "--extension", USER, "--no-register"]
    agent = spawn(*args, env=sip_env("x-password"))
    assert agent.process.wait_exit(WAIT) == 3
    lines = agent.process.log_text().splitlines()
    assert lines[-1].startswith("vicifast-phone: ")
    assert "127.0.0.256" in lines[-1]
    assert "Traceback" not in agent.process.log_text()


# ---- where the settings and the password come from -----------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_config_file_alone_registers_with_its_settings(
    kam: Kamailio, spawn: Spawn, tmp_path: Path, suffix: str
) -> None:
    settings: dict[str, Any] = {
        "server": kam.domain,
        "proxy": HOST,
        "port": kam.port("tcp"),
        "transport": "tcp",
        "extension": USER,
        "reg_expires_s": 120,
    }
    config = tmp_path / f"agent{suffix}"
    if suffix == ".json":
        config.write_text(json.dumps(settings))
    else:
        config.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items()))
    agent = spawn("--bind", HOST, "--config", str(config), env=sip_env(kam.users[USER]))
    agent.wait_event(WAIT, event="RegistrationChanged", state="registered", transport="tcp")
    (contact,) = kam.wait_registered(USER)
    assert contact.socket.startswith("tcp:")  # the file's transport and port
    assert 60 < contact.expires <= 120  # the file's reg_expires_s, not the default 300


@pytest.fixture
def fd_agent(tmp_path: Path) -> Iterator[Callable[[list[str], bytes], subprocess.Popen[bytes]]]:
    """start(args, password) -> the agent reading its password from a pipe it inherits as a
    descriptor (``--password-fd``), output in tmp_path/fd-agent.log; stopped at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], password: bytes) -> subprocess.Popen[bytes]:
        read_end, write_end = os.pipe()
        env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
        with (tmp_path / "fd-agent.log").open("wb") as log:
            process = subprocess.Popen(
                [*AGENT, "--json", *args, "--password-fd", str(read_end)],
                pass_fds=(read_end,), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        started.append(process)
        os.close(read_end)
        os.write(write_end, password)
        os.close(write_end)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def test_password_fd_registers_with_the_password_from_the_pipe_and_closes_it(
    kam: Kamailio, fd_agent: Callable[[list[str], bytes], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    args = ["--bind", HOST, "--domain", kam.domain, "--proxy", HOST]
    args += ["--port", str(kam.port("udp")), "--extension", USER]
    process = fd_agent(args, kam.users[USER].encode() + b"\n")
    kam.wait_registered(USER)
    # the descriptor is read to the end and closed: no pipe is left among the agent's files
    assert _pipes(process.pid) == []
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT) == 0
    log = (tmp_path / "fd-agent.log").read_text()
    assert '"state":"registered"' in log
    assert kam.users[USER] not in log


def _pipes(pid: int) -> list[str]:
    """The process's descriptors that are pipes (one it closes meanwhile is not)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed between the listing and the look
            continue
        if target.startswith("pipe:"):
            found.append(fd.name)
    return found


# ---- --signin: the session ends while the agent runs ---------------------------------------


COMPANY, SIGNIN_USER, SIGNIN_PASSWORD = "DEMO", "agent1", "demo-pass-1"  # the demo seed's


@pytest.fixture(scope="module")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    """A private bus with gnome-keyring: the agent's keychain."""
    with SecretService(tmp_path_factory.mktemp("secret-service")) as service:
        yield service


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    """The emulator over HTTPS with kamailio as its firewalled registrar."""
    assert kamailio_path() is not None, "kamailio is not installed: run scripts/bootstrap.sh"
    state = EmulatorState.from_seed()
    server = EmulatorServer(
        state, port=0, ca_out=tmp_path / "ca.pem", registrar=Registrar(state.sip_users())
    )
    with server:
        yield server


@pytest.fixture
def admin(emulator: EmulatorServer) -> Iterator[Callable[[str, dict[str, Any]], None]]:
    """post(path, body) to the emulator's admin API."""
    assert emulator.ca_file is not None
    client = httpx.Client(
        verify=ssl.create_default_context(cafile=str(emulator.ca_file)),
        headers={"authorization": f"Bearer {emulator.admin_token}"},
        timeout=10,
    )

    def post(path: str, body: dict[str, Any]) -> None:
        response = client.post(emulator.url + path, json=body)
        assert response.status_code == 200, response.text

    yield post
    client.close()


def signed_in_agent(
    spawn: Spawn, emulator: EmulatorServer, secret_service: SecretService
) -> SignInAgentProcess:
    args = ["--signin", "--company", COMPANY, "--username", SIGNIN_USER, "--bind", "127.0.0.2"]
    args += ["--control-plane", emulator.url, "--ca-file", str(emulator.ca_file)]
    env = {**secret_service.env, SIGNIN_PASSWORD_ENV: SIGNIN_PASSWORD}
    agent = spawn(*args, env=env, name="signin")
    agent.wait_event(WAIT, event="SessionStateChanged", state="registered")
    return agent


def test_signin_revoked_while_running_exits_1_with_the_reason(
    spawn: Spawn,
    emulator: EmulatorServer,
    secret_service: SecretService,
    admin: Callable[[str, dict[str, Any]], None],
) -> None:
    admin("/admin/settings", {"reauth_after_s": 1})  # the agent asks again every second or so
    agent = signed_in_agent(spawn, emulator, secret_service)
    admin("/admin/agents/revoke", {"company_code": COMPANY, "username": SIGNIN_USER})
    assert agent.process.wait_exit(WAIT) == 1
    agent.wait_event(event="SessionStateChanged", state="signed_out", reason="account_revoked")
    last = agent.process.log_text().splitlines()[-1]
    assert last.startswith("vicifast-phone: Your account has been disabled")


def test_signin_addon_turned_off_while_running_exits_1_with_the_addon_message(
    spawn: Spawn,
    emulator: EmulatorServer,
    secret_service: SecretService,
    admin: Callable[[str, dict[str, Any]], None],
) -> None:
    admin("/admin/settings", {"reauth_after_s": 1})
    agent = signed_in_agent(spawn, emulator, secret_service)
    admin("/admin/addon", {"company_code": COMPANY, "active": False})
    assert agent.process.wait_exit(WAIT) == 1
    agent.wait_event(event="SessionStateChanged", state="signed_out", reason="addon_inactive")
    assert agent.process.log_text().splitlines()[-1] == f"vicifast-phone: {ADDON_INACTIVE_MESSAGE}"
