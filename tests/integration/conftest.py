"""Fixtures that run real SIP peers: kamailio (registrar/proxy), sipp, baresip.

Every process is started by a fixture and stopped by PID/process group at
teardown, also when the test fails; a failing test's report gets the tail of
each process's log (section "peer logs").
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
import trustme

from softphone.core import events as ev
from softphone.core.models import EngineConfig
from softphone.sip.call import SipAccount, SipCall
from softphone.sip.engine import SipEngine
from tests.enginekit.recorder import EventRecorder
from tests.support.baresip import AnswerMode, Baresip, BaresipFactory
from tests.support.kamailio import Kamailio, KamailioFactory
from tests.support.sipp import Sipp

if TYPE_CHECKING:
    from softphone.demo.environment import DemoEnvironment
    from softphone.load.host import AgentHost
    from tests.enginekit.agent_process import AgentProcess

DEFAULT_USERS = {"1001": "secret1001", "1002": "secret1002", "1003": "secret1003"}

_DESCRIBERS = pytest.StashKey[list[Callable[[], str]]]()


def _on_failure_show(request: pytest.FixtureRequest, describe: Callable[[], str]) -> None:
    request.node.stash.setdefault(_DESCRIBERS, []).append(describe)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for describe in item.stash.get(_DESCRIBERS, []):
            try:
                text = describe()
            except Exception as exc:  # a broken describer must not hide the failure
                text = f"(could not describe: {exc!r})"
            report.sections.append((f"peer logs ({report.when})", text))
    return report


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    """Test CA; kamailio's server certificate is issued by it (see Kamailio.ca_pem)."""
    return trustme.CA()


@pytest.fixture
def kamailio_factory(
    request: pytest.FixtureRequest, tmp_path: Path, test_ca: trustme.CA
) -> Iterator[KamailioFactory]:
    """make(users=None, *, start=True, **Kamailio kwargs) -> Kamailio (started).

    users defaults to DEFAULT_USERS; e.g. make(min_expires=120) or make(auth_calls=True).
    """
    created: list[Kamailio] = []

    def make(users: dict[str, str] | None = None, *, start: bool = True, **kwargs: Any) -> Kamailio:
        workdir = tmp_path / f"kamailio{len(created)}"
        kam = Kamailio(
            workdir, users=DEFAULT_USERS if users is None else users, ca=test_ca, **kwargs
        )
        created.append(kam)
        _on_failure_show(request, lambda: f"kamailio {workdir}\n{kam.log_tail(60)}")
        return kam.start() if start else kam

    yield make
    for kam in reversed(created):
        kam.close()


@pytest.fixture
def kam(kamailio_factory: KamailioFactory) -> Kamailio:
    """A started kamailio for the SIP domain the engine tests use (like a VICIdial host name)."""
    from tests.enginekit.registrar import DOMAIN

    return kamailio_factory(domain=DOMAIN)


@pytest.fixture
def kamailio(kamailio_factory: KamailioFactory) -> Kamailio:
    """A started kamailio with users 1001/1002/1003 (passwords in DEFAULT_USERS)."""
    return kamailio_factory()


@pytest.fixture
def sipp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sipp]:
    """sipp runner: sipp.run(scenario, target, ...) / sipp.start(uas_scenario)."""
    runner = Sipp(tmp_path / "sipp")

    def describe() -> str:
        # stop() returns the finished result, or stops a still running sipp first
        results = [proc.stop().describe() for proc in runner.started]
        return "\n\n".join(results) or "(no sipp started)"

    _on_failure_show(request, describe)
    yield runner
    runner.stop_all()


@pytest.fixture
def baresip_factory(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kamailio_factory: KamailioFactory,  # torn down after us: baresip un-REGISTERs on exit
) -> Iterator[BaresipFactory]:
    """make(kamailio, user="1002", *, answermode="manual", transport="udp", ...) -> Baresip.

    AOR sip:<user>@<kamailio.domain> with kamailio as outbound proxy, registered
    (password from kamailio's users map unless given); calls go through kamailio.
    """
    created: list[Baresip] = []

    def make(
        kam: Kamailio,
        user: str = "1002",
        *,
        password: str | None = None,
        answermode: AnswerMode = "manual",
        transport: Literal["udp", "tcp"] = "udp",
        start: bool = True,
        **kwargs: Any,
    ) -> Baresip:
        ua = Baresip(
            tmp_path / f"baresip{len(created)}-{user}",
            user=user,
            password=kam.users[user] if password is None else password,
            # configured like the softphone: AOR in the SIP domain, kamailio as proxy
            domain=kam.domain,
            outbound=kam.registrar_uri(transport),
            transport=transport,
            answermode=answermode,
            **kwargs,
        )
        created.append(ua)
        _on_failure_show(request, ua.describe)
        return ua.start() if start else ua

    yield make
    for ua in reversed(created):
        ua.stop()


@pytest.fixture
def baresip(baresip_factory: BaresipFactory, kamailio: Kamailio) -> Baresip:
    """baresip registered as 1002 at `kamailio`, answering calls automatically."""
    return baresip_factory(kamailio, "1002", answermode="auto")


AgentFactory = Callable[..., "AgentProcess"]


@pytest.fixture
def agent_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentFactory]:
    """make(kamailio, user, *extra_cli_args, password=None) -> a started headless agent."""
    from tests.enginekit.agent_process import AgentProcess

    created: list[AgentProcess] = []

    def make(kam: Kamailio, user: str, *extra: str, password: str | None = None) -> AgentProcess:
        workdir = tmp_path_factory.mktemp(f"agent{user}", numbered=True)
        agent = AgentProcess(workdir, kam, user, *extra, password=password)
        created.append(agent)
        _on_failure_show(request, agent.process.describe)
        return agent.start()

    yield make
    for agent in reversed(created):
        agent.stop()


@pytest.fixture
def engine(
    recorder: EventRecorder,
    kamailio_factory: KamailioFactory,
    sipp: Sipp,
    baresip_factory: BaresipFactory,
) -> Iterator[SipEngine]:
    """A started engine bound to 127.0.0.1; stopped (orderly) at teardown.

    It depends on the peer fixtures so that it stops before they do: an engine that unregisters
    from a registrar already gone waits out its unregistration grace period.
    """
    sip = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"))
    sip.start()
    yield sip
    sip.stop()
    recorder.wait(ev.EngineStopped, timeout=10)
    assert_no_pj_objects_left()


def assert_no_pj_objects_left() -> None:
    """No pjsua2 wrapper may outlive the engine: the GC would delete it later, on this thread,
    against a destroyed (or a newer) library instance."""
    left = [o for o in gc.get_objects() if isinstance(o, SipCall | SipAccount)]
    assert not left, f"pjsua2 objects outlived the engine: {left!r}"


@pytest.fixture
def load_env(tmp_path: Path) -> Iterator[DemoEnvironment]:
    """The world of a load test: the emulator over TLS with kamailio and one more generated
    agent (company LOAD) than a load worker holds."""
    from tests.support.load_world import load_world  # only the load tests pay for its imports

    with load_world(tmp_path) as made:
        yield made


@pytest.fixture
def load_host(load_env: DemoEnvironment) -> Iterator[AgentHost]:
    """A load worker's AgentHost on ``load_env``, closed after the test."""
    from softphone.load.host import AgentHost

    with AgentHost(load_env.control_plane, ca_file=str(load_env.ca_file)) as made:
        yield made
