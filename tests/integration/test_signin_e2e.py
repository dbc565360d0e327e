"""Sign-in end to end: the headless agent's composition against the emulator over real TLS
(its generated CA), its kamailio registrar (firewalled by the leases), the real SIP engine on
127.0.0.2 / 127.0.0.3, and a real Secret Service (gnome-keyring on a private D-Bus).

The agent runs its loop on a thread of this process (or as a subprocess in the CLI test); a
second engine on 127.0.0.4 stands for VICIdial calling the agent through the registrar.
"""

from __future__ import annotations

import io
import json
import ssl
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import trustme
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from softphone.cli.agent_inputs import SIGNIN_PASSWORD_ENV
from softphone.core import events as ev
from softphone.core.errors import ConfigError
from softphone.core.models import EngineConfig
from softphone.core.retry import Backoff
from softphone.core.secret import Secret
from softphone.core.session_events import (
    FirewallLeaseChanged,
    SessionReason,
    SessionState,
    SessionStateChanged,
)
from softphone.emulator import totp
from softphone.emulator.model import ADDON_INACTIVE_MESSAGE
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from softphone.headless.agent import AgentOutcome, AgentPlan, HeadlessAgent
from softphone.provisioning.client import ControlPlaneClient
from softphone.provisioning.errors import InvalidCredentials
from softphone.signin.service import (
    BoundTransport,
    SignInConfig,
    SignInPlan,
    TransportWrapper,
    load_install_ids,
)
from softphone.storage.keychain import KeychainStore
from tests.enginekit.agent_process import SignInAgentProcess
from tests.enginekit.recorder import EventRecorder
from tests.support.emulator import register
from tests.support.process import wait_until
from tests.support.secret_service import SecretService, serving_this_process
from tests.support.sipp import Sipp, SippProcess, scenario_path

pytestmark = [
    pytest.mark.integration,
    # keyring's SecretService backend leaves a failed call's D-Bus connection to the GC
    # (jaraco/keyring#380); see test_keychain_secret_service.py
    pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*/bus>:ResourceWarning"),
]

COMPANY, USER, PASSWORD = "DEMO", "agent1", "demo-pass-1"
SIP_PASSWORD = "sip-1001-demo"  # agent1's SIP password in the demo seed
CALLER_TOTP = "JBSWY3DPEHPK3PXP"  # agent2's TOTP secret in the demo seed
FIREWALLED = "SIP/2.0 403 Forbidden (no firewall allow-rule for this IP)"
T = TypeVar("T")
WAIT = 20.0


# ---- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    """One private bus + gnome-keyring for the module, this process pointed at it."""
    with serving_this_process(tmp_path_factory.mktemp("secret-service")) as service:
        yield service


@pytest.fixture
def store(secret_service: SecretService) -> KeychainStore:
    """A keychain store of its own install (a fresh service name per test)."""
    return KeychainStore.open(str(uuid.uuid4()), SecretServiceKeyring())


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    state = EmulatorState.from_seed()
    server = EmulatorServer(
        state, port=0, ca_out=tmp_path / "ca.pem", registrar=Registrar(state.sip_users())
    )
    with server:
        yield server


class Admin:
    """The emulator's admin API over HTTPS."""

    def __init__(self, emulator: EmulatorServer) -> None:
        self.url = emulator.url
        self._http = httpx.Client(
            verify=ssl.create_default_context(cafile=str(emulator.ca_file)),
            headers={"authorization": f"Bearer {emulator.admin_token}"},
            timeout=10,
        )

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(self.url + path, json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def get(self, path: str) -> dict[str, Any]:
        response = self._http.get(self.url + path)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self._http.close()


@pytest.fixture
def admin(emulator: EmulatorServer) -> Iterator[Admin]:
    api = Admin(emulator)
    yield api
    api.close()


class Caller:
    """VICIdial's dialer: sipp on 127.0.0.1 (given its own allow-rule) calls an agent through
    the registrar with an auto-answer request. (One process holds one pjsua2 library, so the
    caller cannot be a second engine here.)"""

    IP = "127.0.0.1"

    def __init__(self, emulator: EmulatorServer, sipp: Sipp) -> None:
        assert emulator.registrar is not None
        self.hostport = f"127.0.0.1:{emulator.registrar.port}"
        self.sipp = sipp
        grant = emulator.state.login(
            username="agent2",
            password="demo-pass-2",
            company_code=COMPANY,
            code=totp.code_at(CALLER_TOTP, emulator._clock()),
            ip=self.IP,
            now=emulator._clock(),
        )
        assert not hasattr(grant, "error"), grant

    def start_call(self, extension: str) -> SippProcess:
        return self.sipp.start(
            self._scenario(), self.hostport, service=extension, pause_ms=300, timeout=20
        )

    def _scenario(self) -> Path:
        """uac_autoanswer, but ACK and BYE go to the Contact's bare URI: sipp's [next_url]
        keeps the Contact's display name ("Agent One" <sip:...>), which no proxy can parse."""
        path = self.sipp.workdir / "uac_autoanswer_contact.xml"
        text = scenario_path("uac_autoanswer").read_text()
        grab = (
            '<ereg regexp="&lt;(sip:[^&gt;]*)&gt;" search_in="hdr" header="Contact:" '
            'check_it="true" assign_to="contact_all,contact"/>\n      '
        )
        text = text.replace("<action>\n      <ereg", "<action>\n      " + grab + "<ereg", 1)
        text = text.replace("</scenario>", '<Reference variables="contact_all"/>\n</scenario>')
        path.write_text(text.replace("[next_url]", "[$contact]"))
        return path

    def call(self, extension: str) -> None:
        """A whole call: answered by itself, held for a moment, hung up by the caller."""
        self.start_call(extension).wait(30).assert_ok()


@pytest.fixture
def caller(emulator: EmulatorServer, sipp: Sipp) -> Caller:
    return Caller(emulator, sipp)


class RunningAgent:
    """A signed-in HeadlessAgent whose loop runs on a thread of this process."""

    def __init__(
        self,
        emulator: EmulatorServer,
        store: KeychainStore,
        *,
        bind: str = "127.0.0.2",
        company: str = COMPANY,
        username: str = USER,
        password: str = PASSWORD,
        ca_file: str | None = "",
        wrap: TransportWrapper | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.recorder = EventRecorder()
        self.out = io.StringIO()
        plan = SignInPlan(
            config=SignInConfig(
                control_plane=emulator.url,
                ca_file=str(emulator.ca_file) if ca_file == "" else ca_file,
                bind_address=bind,
            ),
            store=store,
            device_id="e2e-device",
            company=company,
            username=username,
            password=Secret(password),
            wrap_transport=wrap,
            backoff=backoff,
        )
        self.agent = HeadlessAgent(
            None,
            AgentPlan(),
            engine_config=EngineConfig(bind_address=bind),
            out=self.out,
            as_json=True,
            signin=plan,
        )
        self.agent.bus.subscribe(ev.Event, self.recorder)
        self.outcome: AgentOutcome | None = None
        self._thread = threading.Thread(target=self._run, name="agent-loop")
        self._thread.start()

    def _run(self) -> None:
        self.outcome = self.agent.run()

    def on_loop(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the agent's loop thread (where the session lives)."""
        result: Future[T] = Future()

        def run() -> None:
            try:
                result.set_result(action())
            except BaseException as err:
                result.set_exception(err)

        self.agent.post(run)
        return result.result(WAIT)

    def session_state(self, state: SessionState, after: int = 0, **fields: Any) -> int:
        """Wait for the session to reach ``state``; the index of that event."""
        event = self.recorder.wait(SessionStateChanged, WAIT, after=after, state=state, **fields)
        return self.recorder.events.index(event)

    def registered(self, after: int = 0) -> int:
        return self.session_state(SessionState.REGISTERED, after)

    def leases(self) -> list[FirewallLeaseChanged]:
        return self.recorder.of(FirewallLeaseChanged)

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.getvalue().splitlines()]

    def wait_exit(self, timeout: float = WAIT) -> AgentOutcome:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the agent did not stop"
        assert self.outcome is not None
        return self.outcome

    def stop(self) -> AgentOutcome:
        self.agent.stop_soon()
        return self.wait_exit()


@pytest.fixture
def agents() -> Iterator[list[RunningAgent]]:
    started: list[RunningAgent] = []
    yield started
    for agent in started:
        agent.stop()


@pytest.fixture
def start_agent(
    emulator: EmulatorServer, store: KeychainStore, agents: list[RunningAgent]
) -> Callable[..., RunningAgent]:
    def start(**kwargs: Any) -> RunningAgent:
        agent = RunningAgent(emulator, store, **kwargs)
        agents.append(agent)
        return agent

    return start


def sip_register(emulator: EmulatorServer, ip: str) -> list[str]:
    assert emulator.registrar is not None
    return register(("127.0.0.1", emulator.registrar.port), "1001", SIP_PASSWORD, local_ip=ip)


# ---- the tests ------------------------------------------------------------------------------


def test_sign_in_provisions_registers_and_takes_a_call(
    start_agent: Callable[..., RunningAgent], store: KeychainStore, caller: Caller
) -> None:
    agent = start_agent()
    agent.registered()
    states = [e.state for e in agent.recorder.of(SessionStateChanged)]
    assert states[:4] == [
        SessionState.SIGNING_IN,
        SessionState.PROVISIONING,
        SessionState.REGISTERING,
        SessionState.REGISTERED,
    ]
    # the transport the server chose (udp in the emulator's profile)
    done = agent.recorder.of(ev.RegistrationChanged, state=ev.RegistrationState.REGISTERED)
    assert done[0].transport == "udp" and done[0].account_id == "session"
    (lease,) = agent.leases()
    assert lease.ip == "127.0.0.2"
    lines = [line for line in agent.json_lines() if line["event"] == "FirewallLeaseChanged"]
    assert lines[0]["description"].startswith("firewall open for 127.0.0.2 until ")
    saved = {"vicidial.company_code", "vicidial.password", "session.token", "sip.account"}
    wait_until(lambda: saved <= store.keys(), WAIT, "the session saved in the keychain")

    caller.call("1001")
    answered = agent.recorder.wait(
        ev.CallStateChanged, WAIT, state=ev.CallState.CONFIRMED, direction=ev.Direction.INBOUND
    )
    assert answered.account_id == "session"
    agent.recorder.wait(ev.CallStateChanged, WAIT, state=ev.CallState.DISCONNECTED)
    assert agent.stop().exit_code == 0


def test_an_ip_change_reauths_rebinds_and_re_registers(
    start_agent: Callable[..., RunningAgent], emulator: EmulatorServer, admin: Admin, caller: Caller
) -> None:
    agent = start_agent(bind="127.0.0.2")
    at = agent.registered()
    # the old network is gone: its allow-rule closes
    assert admin.post("/admin/leases/expire", {"ip": "127.0.0.2"})["expired"] == 1

    agent.on_loop(lambda: agent.agent.service.move_to("127.0.0.3"))  # type: ignore[union-attr]

    agent.session_state(SessionState.REFRESHING, at, reason=SessionReason.IP_CHANGED)
    # re-auth done, the engine moves: a new engine, the account registered from there
    moved = agent.recorder.wait(ev.EngineStarted, WAIT, after=at)
    again = agent.recorder.events.index(moved)
    agent.recorder.wait(
        ev.RegistrationChanged, WAIT, after=again, state=ev.RegistrationState.REGISTERED
    )
    assert [lease.ip for lease in agent.leases()] == ["127.0.0.2", "127.0.0.3"]
    service = agent.agent.service
    assert service is not None
    assert service.engine.bind_address == "127.0.0.3"
    udp = service.engine.current.snapshot().result(10).transports["udp"]
    assert udp.startswith("127.0.0.3:")
    assert sip_register(emulator, "127.0.0.2") == [FIREWALLED]  # the old address is refused
    ips = {lease["ip"] for lease in admin.get("/admin/leases")["leases"] if lease["live"]}
    assert "127.0.0.3" in ips and "127.0.0.2" not in ips
    # the registrar reaches the agent at its new address
    caller.call("1001")
    agent.recorder.wait(ev.CallStateChanged, WAIT, after=again, state=ev.CallState.CONFIRMED)


def test_a_short_lease_is_renewed_before_it_expires(
    start_agent: Callable[..., RunningAgent], emulator: EmulatorServer, admin: Admin
) -> None:
    admin.post("/admin/settings", {"ttl_s": 12})
    agent = start_agent()
    at = agent.registered()
    first = agent.leases()[0]
    assert first.expires_at is not None
    renewed = agent.recorder.wait(FirewallLeaseChanged, WAIT, after=at)
    assert renewed.expires_at is not None and renewed.expires_at > first.expires_at
    assert renewed.at < first.expires_at.timestamp()  # renewed before the old rule ended
    wait_until(
        lambda: emulator._clock() > first.expires_at.timestamp() + 0.5,  # type: ignore[union-attr]
        WAIT,
        "the first lease's expiry to pass",
    )
    # the SIP side keeps working past the first lease: a REGISTER now still succeeds
    mark = len(agent.recorder.events)
    service = agent.agent.service
    assert service is not None
    service.engine.current.reregister("session").result(10)
    agent.recorder.wait(
        ev.RegistrationChanged, WAIT, after=mark, state=ev.RegistrationState.REGISTERED
    )
    assert not agent.recorder.of(ev.RegistrationChanged, state=ev.RegistrationState.FAILED)


def test_a_lease_closed_early_is_reopened_when_register_is_refused(
    start_agent: Callable[..., RunningAgent], admin: Admin
) -> None:
    agent = start_agent()
    at = agent.registered()
    assert admin.post("/admin/leases/expire", {"ip": "127.0.0.2"})["expired"] == 1
    service = agent.agent.service
    assert service is not None
    service.engine.current.reregister("session")  # the registration's next refresh
    agent.recorder.wait(ev.RegistrationChanged, WAIT, state=ev.RegistrationState.FAILED, code=403)
    agent.session_state(SessionState.REFRESHING, at, reason=SessionReason.REGISTER_FAILED)
    agent.registered(at + 1)
    ips = {lease["ip"] for lease in admin.get("/admin/leases")["leases"] if lease["live"]}
    assert ips == {"127.0.0.2"}


def test_revocation_wipes_the_saved_session_and_unregisters(
    start_agent: Callable[..., RunningAgent],
    admin: Admin,
    store: KeychainStore,
    secret_service: SecretService,
) -> None:
    admin.post("/admin/settings", {"reauth_after_s": 1})  # re-auth every few seconds
    agent = start_agent()
    agent.registered()
    wait_until(  # five entries and the index
        lambda: len(secret_service.entries(store.service)) == 6, WAIT, "the saved session"
    )
    admin.post("/admin/agents/revoke", {"company_code": COMPANY, "username": USER})

    agent.session_state(SessionState.SIGNED_OUT, reason=SessionReason.ACCOUNT_REVOKED)
    outcome = agent.wait_exit()
    assert outcome.exit_code == 1 and "disabled" in outcome.message
    # at once (wiping), then once the wipe has run: the agent ends on the second
    signed_out = agent.recorder.of(SessionStateChanged, state=SessionState.SIGNED_OUT)
    assert [e.wiping for e in signed_out] == [True, False]
    agent.recorder.wait(
        ev.RegistrationChanged,
        WAIT,
        account_id="session",
        state=ev.RegistrationState.UNREGISTERED,
        reason="removed",
    )
    assert agent.leases()[-1] == FirewallLeaseChanged(
        ip="", expires_at=None, at=agent.leases()[-1].at
    )
    assert store.keys() == frozenset()
    assert secret_service.entries(store.service) == []  # nothing left in gnome-keyring


class StuckKeychain:
    """The real keychain, except that clearing it fails, as a locked one would."""

    def __init__(self, inner: KeychainStore) -> None:
        self.inner = inner

    def get(self, key: str) -> Secret | None:
        return self.inner.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, Secret | None]:
        return self.inner.get_many(keys)

    def set(self, key: str, value: Secret) -> None:
        self.inner.set(key, value)

    def update(self, values: Mapping[str, Secret]) -> None:
        self.inner.update(values)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def clear(self) -> None:
        raise ConfigError("The keychain is locked. Unlock it and sign out again.")


def test_a_sign_out_that_leaves_the_keychain_says_so_and_fails(
    emulator: EmulatorServer, store: KeychainStore, agents: list[RunningAgent]
) -> None:
    agent = RunningAgent(emulator, StuckKeychain(store))  # type: ignore[arg-type]
    agents.append(agent)
    agent.registered()
    agent.on_loop(agent.agent.service.session.sign_out)  # type: ignore[union-attr]
    outcome = agent.wait_exit()
    assert outcome.exit_code == 1
    assert outcome.message == (
        "You signed out, but your saved sign-in in the keychain could not be deleted: The "
        "keychain is locked. Unlock it and sign out again. Delete it by hand, or sign in and "
        "sign out again."
    )
    (last,) = [
        line
        for line in agent.json_lines()
        if line["event"] == "SessionStateChanged" and line["left_behind"]
    ]
    assert last["message"] == outcome.message  # printed as it happened
    assert last["left_behind"] == ["your saved sign-in in the keychain"]


def test_an_addon_lapse_signs_out_with_the_administrators_message(
    start_agent: Callable[..., RunningAgent], admin: Admin, store: KeychainStore
) -> None:
    admin.post("/admin/settings", {"reauth_after_s": 1})
    agent = start_agent()
    agent.registered()
    admin.post("/admin/addon", {"company_code": COMPANY, "active": False})
    agent.session_state(
        SessionState.SIGNED_OUT,
        reason=SessionReason.ADDON_INACTIVE,
        message=ADDON_INACTIVE_MESSAGE,
    )
    assert agent.wait_exit().message == ADDON_INACTIVE_MESSAGE
    assert store.keys() == frozenset()


def test_a_company_without_the_addon_cannot_sign_in(
    start_agent: Callable[..., RunningAgent], emulator: EmulatorServer
) -> None:
    agent = start_agent(company="NOADDON", username="agent9", password="demo-pass-9")
    outcome = agent.wait_exit()
    assert (outcome.exit_code, outcome.message) == (1, ADDON_INACTIVE_MESSAGE)
    assert not emulator.state.allowed("127.0.0.2", emulator._clock())


def test_rate_limited_sign_in_says_when_to_try_again(
    start_agent: Callable[..., RunningAgent], emulator: EmulatorServer, tmp_path: Path
) -> None:
    ip = "127.0.0.9"
    context = ssl.create_default_context(cafile=str(emulator.ca_file))
    with ControlPlaneClient(emulator.url, transport=BoundTransport(context, ip)) as client:
        for _ in range(10):
            with pytest.raises(InvalidCredentials):
                client.login(COMPANY, USER, Secret("wrong-password"))
    agent = start_agent(bind=ip)  # now with the right password
    event = agent.recorder.wait(SessionStateChanged, WAIT, state=SessionState.SIGNED_OUT)
    assert event.reason is SessionReason.RATE_LIMITED
    assert 3000 < event.retry_in_s <= 3601
    outcome = agent.wait_exit()
    assert outcome.exit_code == 1 and "Too many failed sign-in attempts" in outcome.message
    assert not emulator.state.allowed(ip, emulator._clock())


def test_transient_503s_back_off_and_keep_the_registration(
    start_agent: Callable[..., RunningAgent], admin: Admin
) -> None:
    admin.post("/admin/settings", {"reauth_after_s": 1})
    agent = start_agent(backoff=Backoff(first_s=0.5, cap_s=1.0))
    at = agent.registered()
    admin.post("/admin/outage", {"requests": 2})  # the emulator answers the next two with 503

    first = agent.session_state(SessionState.BACKING_OFF, at, reason=SessionReason.TRANSIENT)
    agent.session_state(SessionState.BACKING_OFF, first + 1, reason=SessionReason.TRANSIENT)
    back = agent.registered(first + 1)
    between = agent.recorder.events[at:back]
    assert not [e for e in between if isinstance(e, ev.RegistrationChanged)]  # never dropped
    assert not agent.recorder.of(SessionStateChanged, state=SessionState.SIGNED_OUT)


@pytest.mark.parametrize("trust", ["system CAs", "another CA"])
def test_a_control_plane_with_an_untrusted_certificate_is_refused(
    start_agent: Callable[..., RunningAgent],
    emulator: EmulatorServer,
    tmp_path: Path,
    trust: str,
) -> None:
    ca_file: str | None = None
    if trust == "another CA":
        ca_file = str(tmp_path / "other-ca.pem")
        trustme.CA().cert_pem.write_to_path(ca_file)
    agent = start_agent(ca_file=ca_file)
    event = agent.recorder.wait(SessionStateChanged, WAIT, state=SessionState.SIGNED_OUT)
    assert event.reason is SessionReason.TLS
    assert agent.wait_exit().exit_code == 1
    assert emulator.state.audit(emulator._clock()) == []  # no request reached the server


class RequestLog(httpx.BaseTransport):
    """Records every request (URL, headers, body) before passing it on."""

    def __init__(self, inner: httpx.BaseTransport, log: list[httpx.Request]) -> None:
        self.inner, self.log = inner, log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.log.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_the_sip_password_never_goes_to_the_control_plane(
    start_agent: Callable[..., RunningAgent], admin: Admin, store: KeychainStore
) -> None:
    requests: list[httpx.Request] = []
    admin.post("/admin/settings", {"reauth_after_s": 1})
    agent = start_agent(wrap=lambda inner: RequestLog(inner, requests))
    at = agent.registered()
    # a scheduled re-auth, then an IP change, then sign-out
    at = agent.session_state(SessionState.REFRESHING, at, reason=SessionReason.SCHEDULED)
    at = agent.registered(at)
    agent.on_loop(lambda: agent.agent.service.move_to("127.0.0.3"))  # type: ignore[union-attr]
    at = agent.session_state(SessionState.REFRESHING, at, reason=SessionReason.IP_CHANGED)
    moved = agent.recorder.wait(ev.EngineStarted, WAIT, after=at)
    agent.recorder.wait(
        ev.RegistrationChanged,
        WAIT,
        after=agent.recorder.events.index(moved),
        state=ev.RegistrationState.REGISTERED,
    )
    agent.on_loop(agent.agent.service.session.sign_out)  # type: ignore[union-attr]
    assert agent.wait_exit().exit_code == 0
    assert store.keys() == frozenset()

    paths = [r.url.path for r in requests]
    assert paths.count("/api/mobile/login") >= 3 and paths.count("/vicidial/demo/provision") >= 3
    for request in requests:
        seen = [str(request.url), *(f"{k}: {v}" for k, v in request.headers.items())]
        body = request.content.decode()
        assert not any(SIP_PASSWORD in text for text in (*seen, body)), request.url
        assert not any(PASSWORD in text for text in seen), request.url
        if PASSWORD in body:
            assert request.url.path in ("/api/mobile/login", "/vicidial/demo/provision")
            assert json.loads(body)["password"] == PASSWORD
    assert any(PASSWORD in r.content.decode() for r in requests)  # the check can see it


def test_the_agent_command_signs_in_answers_resumes_and_signs_out(
    emulator: EmulatorServer,
    secret_service: SecretService,
    caller: Caller,
    tmp_path: Path,
) -> None:
    common = ["--control-plane", emulator.url, "--ca-file", str(emulator.ca_file)]
    common += ["--bind", "127.0.0.2"]
    env = {**secret_service.env, SIGNIN_PASSWORD_ENV: PASSWORD}
    args = ["--signin", "--company", COMPANY, "--username", USER, "--calls", "1", *common]
    first = SignInAgentProcess(tmp_path, args, env=env, name="first").start()
    try:
        first.wait_event(WAIT, event="SessionStateChanged", state="registered")
        lease = first.wait_event(WAIT, event="FirewallLeaseChanged", ip="127.0.0.2")
        assert lease["description"].startswith("firewall open for 127.0.0.2 until ")
        caller.call("1001")
        first.wait_event(WAIT, event="CallStateChanged", state="confirmed", direction="inbound")
        assert first.process.wait_exit(WAIT) == 0  # --calls 1
    finally:
        first.stop()
    assert PASSWORD not in first.process.log_text()
    assert SIP_PASSWORD not in first.process.log_text()

    # --signin alone: the saved session (no password given)
    resumed = SignInAgentProcess(
        tmp_path, ["--signin", *common], env=secret_service.env, name="resumed"
    ).start()
    try:
        resumed.wait_event(WAIT, event="SessionStateChanged", state="refreshing", reason="resumed")
        resumed.wait_event(WAIT, event="SessionStateChanged", state="registered")
    finally:
        assert resumed.stop() == 0

    ids = load_install_ids(secret_service.data_home / "vicifast-desktop")  # the agent's own
    service = KeychainStore.open(ids.install_id, SecretServiceKeyring()).service
    assert len(secret_service.entries(service)) >= 5
    out = SignInAgentProcess(tmp_path, ["--signout"], env=secret_service.env, name="out").start()
    assert out.process.wait_exit(WAIT) == 0
    assert secret_service.entries(service) == []

    again = SignInAgentProcess(tmp_path, ["--signin", *common], env=secret_service.env, name="x")
    again.start()
    assert again.process.wait_exit(WAIT) == 1
    assert "There is no saved sign-in" in again.process.log_text()
