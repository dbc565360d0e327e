"""The headless agent (``vicifast-phone agent``) as a separate process, read through --json."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from softphone.cli.agent_inputs import PASSWORD_ENV
from tests.support.kamailio import Kamailio
from tests.support.process import ManagedProcess, wait_until

AGENT = [sys.executable, "-m", "softphone.cli", "agent"]


class AgentProcess:
    """One headless agent registered at ``kam`` as ``user``; stopped by PID at teardown."""

    def __init__(
        self,
        workdir: Path,
        kam: Kamailio,
        user: str,
        *extra: str,
        password: str | None = None,
        wrapper: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``wrapper`` runs the agent under another command (e.g. strace); ``env`` adds to the
        environment the agent inherits."""
        args = [
            *wrapper,
            *AGENT,
            "--json",
            "--bind",
            "127.0.0.1",
            "--domain",
            kam.domain,
            "--proxy",
            "127.0.0.1",
            "--port",
            str(kam.port("udp")),
            "--extension",
            user,
            *extra,
        ]
        secret = kam.users[user] if password is None else password
        self.process = ManagedProcess(
            args,
            log_path=workdir / f"agent-{user}.log",
            name=f"agent {user}",
            env={PASSWORD_ENV: secret, **(env or {})},
        )

    def start(self) -> AgentProcess:
        self.process.start()
        return self

    def events(self) -> list[dict[str, Any]]:
        found = []
        for line in self.process.log_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def wait_event(self, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        """The first JSON event whose fields equal ``fields`` (``event`` is the type name)."""
        found: list[dict[str, Any]] = []

        def check() -> bool:
            found[:] = [e for e in self.events() if all(e.get(k) == v for k, v in fields.items())]
            return bool(found)

        wait_until(
            check,
            timeout,
            f"agent event {fields}",
            abort=self._died,
            details=lambda: self.process.log_tail(30),
        )
        return found[0]

    def _died(self) -> str | None:
        rc = self.process.returncode
        return None if rc is None else f"the agent exited with {rc}"

    def stop(self) -> int | None:
        return self.process.stop()


class SignInAgentProcess(AgentProcess):
    """A headless agent started with ``--signin`` (or any agent arguments given whole)."""

    def __init__(
        self, workdir: Path, args: Sequence[str], *, env: Mapping[str, str], name: str = "signin"
    ) -> None:
        self.process = ManagedProcess(
            [*AGENT, "--json", *args],
            log_path=workdir / f"agent-{name}.log",
            name=f"agent {name}",
            env=env,
        )
