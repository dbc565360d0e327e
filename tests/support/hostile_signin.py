"""``python -m tests.support.hostile_signin CONTROL_PLANE CA_FILE``: one sign-in through the real
clients and the session (a keychain in memory, no SIP engine), in a process of its own so a test
can cap its memory. Prints one JSON line: the last state, its reason and message, the wall time
and which keychain keys were stored."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import Future
from typing import Any

from softphone.core.executor import run_inline
from softphone.core.models import SipAccountConfig
from softphone.core.secret import MemorySecretStore, Secret
from softphone.core.session import Session
from softphone.core.session_events import SessionStateChanged
from softphone.provisioning.client import ControlPlaneClient, ProvisioningClient


class _NoEngine:
    def _done(self, value: Any = None) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(value)
        return future

    def add_account(self, config: SipAccountConfig, account_id: str | None = None) -> Future[str]:
        return self._done(account_id or "")

    def remove_account(self, account_id: str) -> Future[None]:
        return self._done()

    def reregister(self, account_id: str) -> Future[None]:
        return self._done()

    def handle_ip_change(self) -> Future[None]:
        return self._done()


class _NoTimers:
    def call_later(self, delay_s: float, callback: Any) -> Any:
        return self

    def cancel(self) -> None:
        pass


def main(argv: list[str]) -> int:
    url, ca_file = argv
    store = MemorySecretStore()
    states: list[SessionStateChanged] = []
    with (
        ControlPlaneClient(url, ca_file=ca_file) as cp,
        ProvisioningClient(ca_file=ca_file) as prov,
    ):
        session = Session(
            control_plane=cp,
            provisioning=prov,
            engine=_NoEngine(),
            store=store,
            emit=lambda event: (
                states.append(event) if isinstance(event, SessionStateChanged) else None
            ),
            run=run_inline,
            scheduler=_NoTimers(),
        )
        started = time.monotonic()
        session.sign_in("ACME", "agent1", Secret("vici-pass-123"))
        took = time.monotonic() - started
    last = states[-1]
    stored = sorted(
        k for k in ("vicidial.password", "session.token", "sip.account") if store.get(k)
    )
    print(
        json.dumps(
            {
                "state": last.state.value,
                "reason": last.reason.value,
                "message": last.message,
                "took_s": took,
                "stored": stored,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
