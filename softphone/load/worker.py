"""A load worker: one :class:`~softphone.load.host.AgentHost` in a plain child process, driven
over stdin/stdout in JSON lines (``python -m softphone.load.worker --control-plane URL``).

The load tool runs on Locust, whose processes are gevent-patched; pjsua2 must never run under
gevent, so each host lives here and the parent (:mod:`softphone.load.client`) talks to it.

In: one command a line, ``{"id": 1, "op": "add", ...}``; ``op`` is one of ``add`` (company,
username, password, address → ``agent``), ``sign_in``/``sign_out`` (agent), ``call`` (agent, target
→ ``call_id``; refused with ``"full": true`` when the engine is at its call limit, 4 calls, the SIP
library's most), ``hangup`` (call_id), ``move`` (agent, address), ``quit``. Out: one JSON object a
line: the reply echoes ``id`` with ``"ok": true`` and its results, or ``"ok": false`` and
``error``, a sentence (never a traceback or a password); a line that is not a command is answered
with ``"id": null``. Events come unprompted with ``event``, ``agent``, ``at`` (wall clock) and
``mono`` (``time.monotonic``, system-wide on Linux): ``registered``/``unregistered`` (``code``),
``provisioned`` (the session holds its SIP account and hands it to the engine: the end of its
sign-in, the start of its REGISTER; once a sign-in, not for re-authentications), ``signed_out``
(``reason``, ``message``), ``call`` (``setup_ms`` once confirmed: from the call's first state, by
the engine's timestamps), ``lease`` (``ip``, ``expires_at``).

Threads: the main thread reads stdin and never waits for the engine (futures reply through
``add_done_callback``); events are written from the host's core thread; every line is written
whole, under a lock. End of stdin (the parent died) is ``quit``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, BinaryIO

from softphone.core import events as ev
from softphone.core.errors import LimitExceeded, VicifastError
from softphone.core.secret import Secret
from softphone.core.session_events import (
    FirewallLeaseChanged,
    SessionState,
    SessionStateChanged,
)
from softphone.desktop.hardening import harden_process
from softphone.load.host import AgentHost, AgentSpec, EmulatedAgent

_log = logging.getLogger(__name__)
OPS = ("add", "sign_in", "sign_out", "call", "hangup", "move", "quit")
Reply = dict[str, Any]


class BadCommand(Exception):
    """A command the worker cannot act on; ``str()`` says why, for the person driving it."""


class Worker:
    """Answers commands for one host; writes replies (any thread) and events (core thread)."""

    def __init__(self, host: AgentHost, out: BinaryIO) -> None:
        self.host = host
        self._out = out
        self._lock = threading.Lock()
        self._agents: dict[str, EmulatedAgent] = {}
        self._passwords: set[str] = set()
        self._call_began: dict[str, float] = {}  # call id → the engine's time of its first state
        self._session: dict[str, SessionState] = {}  # agent → its session's last state
        self._commands: dict[str, Callable[[dict[str, Any]], Reply | Future[Reply]]] = {
            "add": self._add,
            "sign_in": self._sign_in,
            "sign_out": self._sign_out,
            "call": self._call,
            "hangup": self._hangup,
            "move": self._move,
        }
        host.on_event = self._on_event

    # ---- commands (the reader thread) ---------------------------------------------------------

    def serve(self, lines: BinaryIO) -> None:
        """Answer each line until ``quit`` or the end of ``lines``, then close the host."""
        for line in lines:
            if line.strip() and not self.handle(line):
                return
        self.host.close()

    def handle(self, line: bytes) -> bool:
        """Answer one line; False once it was ``quit`` (the host is closed then)."""
        try:
            request = json.loads(line)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self.write({"id": None, "ok": False, "error": "That line is not a JSON object."})
            return True
        request_id = request.get("id")
        if type(request_id) is not int:
            self.write({"id": None, "ok": False, "error": 'A command needs an integer "id".'})
            return True
        op = request.get("op")
        if op == "quit":
            self.host.close()
            self.write({"id": request_id, "ok": True})
            return False
        command = self._commands.get(op) if isinstance(op, str) else None
        if command is None or not isinstance(op, str):
            self.fail(request_id, f'"op" must be one of {", ".join(OPS)}.')
            return True
        try:
            result = command(request)
        except Exception as err:
            self._refuse(request_id, op, err)
            return True
        if isinstance(result, Future):
            result.add_done_callback(lambda done: self._settle(request_id, op, done))
        else:
            self.write({"id": request_id, "ok": True, **result})
        return True

    def _add(self, request: dict[str, Any]) -> Reply:
        fields = {name: _text(request, name) for name in ("company", "username", "address")}
        password = _text(request, "password")
        _check_address(fields["address"])
        if any(a.spec.username == fields["username"] for a in self._agents.values()):
            raise BadCommand(f"This worker already has an agent {fields['username']}.")
        self._passwords.add(password)
        agent = self.host.add_agent(AgentSpec(password=Secret(password), **fields))
        self._agents[agent.account_id] = agent
        return {"agent": agent.account_id}

    def _sign_in(self, request: dict[str, Any]) -> Future[Reply]:
        def refused(started: bool) -> Reply:
            if not started:
                raise BadCommand("That agent is signing in or signed in already; sign it out.")
            return {}

        return _then(self.host.sign_in(self._agent(request)), refused)

    def _sign_out(self, request: dict[str, Any]) -> Future[Reply]:
        return _then(self.host.sign_out(self._agent(request)), lambda _: {})

    def _call(self, request: dict[str, Any]) -> Future[Reply]:
        placed = self.host.call(self._agent(request), _text(request, "target"))
        return _then(placed, lambda call_id: {"call_id": call_id})

    def _hangup(self, request: dict[str, Any]) -> Future[Reply]:
        return _then(self.host.hangup(_text(request, "call_id")), lambda _: {})

    def _move(self, request: dict[str, Any]) -> Future[Reply]:
        agent, address = self._agent(request), _text(request, "address")
        _check_address(address)
        return _then(self.host.move(agent, address), lambda _: {})

    def _agent(self, request: dict[str, Any]) -> EmulatedAgent:
        name = _text(request, "agent")
        agent = self._agents.get(name)
        if agent is None:
            raise BadCommand(f"This worker has no agent {name!r}; add it first.")
        return agent

    def _settle(self, request_id: int, op: str, done: Future[Reply]) -> None:
        try:
            result = done.result()
        except Exception as err:
            self._refuse(request_id, op, err)
        else:
            self.write({"id": request_id, "ok": True, **result})

    def _refuse(self, request_id: int, op: str, err: Exception) -> None:
        """A refusal's reply; the engine's own call limit (race-free: it counts the calls it
        holds) is ``"full"``."""
        if op == "call" and isinstance(err, LimitExceeded):
            reply = {"id": request_id, "ok": False, "error": self._sentence(op, err), "full": True}
            self.write(reply)
        else:
            self.fail(request_id, self._sentence(op, err))

    def _sentence(self, op: str, err: Exception) -> str:
        if isinstance(err, BadCommand | VicifastError | ValueError):
            text = str(err) or f"The {op} command failed."
        elif isinstance(err, TimeoutError):
            text = f"The {op} command took too long."
        else:  # not written for people, and its text or frames may hold a password: type only
            _log.warning("the %s command failed: %s", op, type(err).__name__)
            text = f"The {op} command failed ({type(err).__name__})."
        for password in self._passwords:
            text = text.replace(password, "•••")
        return text

    # ---- output (any thread) -----------------------------------------------------------------

    def fail(self, request_id: int, error: str) -> None:
        self.write({"id": request_id, "ok": False, "error": error})

    def write(self, message: Reply) -> None:
        line = json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self._out.write(line.encode())
                self._out.flush()
            except OSError:  # the parent is gone; the end of stdin ends the worker
                pass

    # ---- events (the host's core thread) ------------------------------------------------------

    def _on_event(self, agent: EmulatedAgent, event: ev.Event) -> None:
        if isinstance(event, SessionStateChanged):
            fields = self._describe_session(agent, event)
        else:
            fields = self._describe(event)
        if fields is not None:
            at = {"at": event.at, "mono": time.monotonic()}
            self.write({**fields, "agent": agent.account_id, **at})

    def _describe(self, event: ev.Event) -> Reply | None:
        if isinstance(event, ev.RegistrationChanged):
            if event.state is ev.RegistrationState.REGISTERING:
                return None
            up = event.state is ev.RegistrationState.REGISTERED
            name = "registered" if up else "unregistered"
            return {"event": name, "state": event.state.value, "code": event.code}
        if isinstance(event, FirewallLeaseChanged):
            expires = event.expires_at.isoformat() if event.expires_at else None
            return {"event": "lease", "ip": event.ip, "expires_at": expires}
        if isinstance(event, ev.CallStateChanged):
            return self._describe_call(event)
        return None

    def _describe_session(self, agent: EmulatedAgent, event: SessionStateChanged) -> Reply | None:
        before = self._session.get(agent.account_id)
        self._session[agent.account_id] = event.state
        if event.state is SessionState.SIGNED_OUT and not event.wiping:
            return {"event": "signed_out", "reason": event.reason.value, "message": event.message}
        has_account = event.state in (SessionState.REGISTERING, SessionState.REGISTERED)
        if has_account and before is SessionState.PROVISIONING:
            return {"event": "provisioned"}
        return None

    def _describe_call(self, event: ev.CallStateChanged) -> Reply:
        began = self._call_began.setdefault(event.call_id, event.at)
        fields: Reply = {
            "event": "call",
            "call_id": event.call_id,
            "state": event.state.value,
            "direction": event.direction.value,
            "sip_code": event.sip_code,
            "connected": event.connected,
            "answered_by": event.answered_by.value if event.answered_by else None,
        }
        if event.state is ev.CallState.CONFIRMED:
            fields["setup_ms"] = round(max(0.0, event.at - began) * 1000.0, 1)
        elif event.state is ev.CallState.DISCONNECTED:
            self._call_began.pop(event.call_id, None)
        return fields


def _text(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise BadCommand(f'The {request.get("op")} command needs "{name}", a non-empty text.')
    return value


def _check_address(address: str) -> None:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise BadCommand(f"{address!r} is not an IP address.") from None


def _then(future: Future[Any], shape: Callable[[Any], Reply]) -> Future[Reply]:
    """``future``'s result through ``shape``, without waiting for it (in its callback)."""
    shaped: Future[Reply] = Future()

    def done(source: Future[Any]) -> None:
        try:
            shaped.set_result(shape(source.result()))
        except Exception as err:
            shaped.set_exception(err)

    future.add_done_callback(done)
    return shaped


def _claim_stdout() -> BinaryIO:
    """The protocol's own copy of stdout; fd 1 then goes to stderr, so nothing the SIP library
    or a stray print writes can break a line of the protocol."""
    protocol = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(protocol, "wb")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m softphone.load.worker")
    parser.add_argument("--control-plane", required=True, help="the control plane's https URL")
    parser.add_argument("--ca-file", help="the CA that signs the control plane's certificate")
    args = parser.parse_args(argv)
    harden_process()  # it holds the agents' passwords
    out = _claim_stdout()
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="load-worker %(name)s: %(message)s"
    )
    host = AgentHost(args.control_plane, ca_file=args.ca_file)
    worker = Worker(host, out)
    host.start()
    worker.serve(sys.stdin.buffer)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # the host is closed; a session's HTTP thread may still sit in a request: do not wait for it
    os._exit(code)
