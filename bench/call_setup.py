"""Metric 2: call setup, INVITE sent → 200 OK received, calling a sipp UAS through kamailio.

The UAS (bench/sipp/uas_fast.xml) answers 200 at once. Two ways of calling:

- cold: a fresh process per call that registers, dials once, hangs up after 50 ms and exits.
  This is the only way the agent can be driven (``--call`` places one call per process), so
  raw pjsua2 and baresip are run the same way for a like-for-like comparison;
- warm: one long-lived process places the calls one after another (raw pjsua2 with
  ``--calls N``, baresip over ctrl_tcp, and our engine through bench/engine_driver.py, since
  the agent cannot place a second call).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.lab import SCENARIOS, Lab
from bench.peers import (
    AgentPeer,
    BaresipPeer,
    EngineDriverPeer,
    JsonLinePeer,
    RawPeer,
    wait_wire_registered,
)
from bench.plan import Plan, standalone
from bench.report import Section, summary_table, vs_raw
from bench.stats import Summary, fmt
from bench.wire import outgoing_invites, registrations

HANGUP_AFTER_S = 0.05
GAP_S = 0.05
Sample = dict[str, float]


def _samples(
    lab: Lab, user: str, mark: int, reported: list[tuple[float, float]], *, cold: bool
) -> list[Sample]:
    packets = lab.wire.packets[mark:]
    calls = outgoing_invites(packets, user, lab.proxy_port)
    reg_ok = registrations(packets, user)[0].ok_at if cold else None
    out = []
    # Calls are sequential, so the n-th exchange on the wire is the n-th call reported.
    for exchange, (dialed, confirmed) in zip(calls, reported, strict=False):
        sample = {
            "invite_ok": exchange.ms,
            "ok_to_reported": (confirmed - exchange.ok_at) * 1000,
            "reported": (confirmed - dialed) * 1000,
            "dial_to_invite": (exchange.request_at - dialed) * 1000,
        }
        if exchange.ack_ms is not None:
            sample["invite_ack"] = exchange.ack_ms
        if reg_ok is not None:
            sample["reg_to_invite"] = (exchange.request_at - reg_ok) * 1000
            sample["reg_to_reported"] = (confirmed - reg_ok) * 1000
        out.append(sample)
    if len(calls) != len(reported):
        raise RuntimeError(f"{user}: {len(calls)} calls on the wire, {len(reported)} reported")
    return out


def _cold_python(lab: Lab, cls: type[JsonLinePeer], user: str, name: str, uri: str) -> Sample:
    mark = lab.wire.mark()
    peer = cls(lab, user, name).start(call=uri, hangup_after=HANGUP_AFTER_S)
    try:
        rc = peer.wait_exit(30.0)
    finally:
        peer.stop()
    if rc != 0:
        raise RuntimeError(f"{name} exited with {rc}; see {lab.workdir}/peers/{name}.log")
    [sample] = _samples(lab, user, mark, peer.reported_calls(), cold=True)
    return sample


def _cold_baresip(lab: Lab, user: str, name: str, uri: str) -> Sample:
    mark = lab.wire.mark()
    peer = BaresipPeer(lab, user, name).start()
    try:
        wait_wire_registered(lab, user, mark)
        reported = [peer.call(uri, HANGUP_AFTER_S)]
    finally:
        peer.stop()
    [sample] = _samples(lab, user, mark, reported, cold=True)
    # baresip dials when the benchmark tells it to: that is not its own reaction time
    sample.pop("reg_to_invite")
    sample.pop("reg_to_reported")
    return sample


def _warm_raw(lab: Lab, user: str, uri: str, calls: int) -> list[Sample]:
    mark = lab.wire.mark()
    peer = RawPeer(lab, user, "calls-raw-warm")
    peer.start(call=uri, hangup_after=HANGUP_AFTER_S, extra=["--calls", str(calls)])
    try:
        rc = peer.wait_exit(30.0 + calls)
    finally:
        peer.stop()
    if rc != 0:
        raise RuntimeError(f"raw pjsua2 exited with {rc}")
    return _samples(lab, user, mark, peer.reported_calls(), cold=False)


def _warm_engine(lab: Lab, user: str, uri: str, calls: int) -> list[Sample]:
    mark = lab.wire.mark()
    peer = EngineDriverPeer(lab, user, "calls-engine-warm")
    peer.run_driver(
        [
            "--mode", "sequential", "--proxy-port", str(lab.proxy_port), "--users", user,
            "--target", uri, "--calls", str(calls),
            "--hangup-after", str(HANGUP_AFTER_S), "--gap", str(GAP_S),
        ]
    )  # fmt: skip
    try:
        rc = peer.wait_exit(30.0 + calls)
    finally:
        peer.stop()
    if rc != 0:
        raise RuntimeError(f"engine driver exited with {rc}")
    return _samples(lab, user, mark, peer.reported_calls(), cold=False)


def _warm_baresip(lab: Lab, user: str, uri: str, calls: int) -> list[Sample]:
    mark = lab.wire.mark()
    peer = BaresipPeer(lab, user, "calls-baresip-warm").start()
    reported = []
    try:
        wait_wire_registered(lab, user, mark)
        for _ in range(calls):
            reported.append(peer.call(uri, HANGUP_AFTER_S))
            time.sleep(GAP_S)
    finally:
        peer.stop()
    return _samples(lab, user, mark, reported, cold=False)


ROWS = (
    ("agent-cold", "our agent — cold (1 call per process)"),
    ("raw-cold", "raw pjsua2 — cold (1 call per process)"),
    ("baresip-cold", "baresip — cold (1 call per process)"),
    ("engine-warm", "our engine (SipEngine driver) — warm"),
    ("raw-warm", "raw pjsua2 — warm"),
    ("baresip-warm", "baresip — warm"),
)


AGENT_DIAL = {("dial_to_invite", label) for key, label in ROWS if key == "agent-cold"}


def run(lab: Lab, plan: Plan) -> Section:
    uas = lab.sipp.start(SCENARIOS / "uas_fast.xml", calls=100_000, timeout=3600)
    uri = uas.uri()
    users = {key: lab.new_user() for key, _ in ROWS}
    samples: dict[str, list[Sample]] = {key: [] for key, _ in ROWS}
    cold: dict[str, Callable[[str, str], Sample]] = {
        "agent-cold": lambda user, name: _cold_python(lab, AgentPeer, user, name, uri),
        "raw-cold": lambda user, name: _cold_python(lab, RawPeer, user, name, uri),
        "baresip-cold": lambda user, name: _cold_baresip(lab, user, name, uri),
    }
    try:
        for key, once in cold.items():
            once(users[key], f"calls-{key}-warmup")  # page cache, bytecode cache
        for i in range(plan.cold_calls):
            for key, once in cold.items():
                samples[key].append(once(users[key], f"calls-{key}-{i}"))
        samples["engine-warm"] = _warm_engine(lab, users["engine-warm"], uri, plan.warm_calls)
        samples["raw-warm"] = _warm_raw(lab, users["raw-warm"], uri, plan.warm_calls)
        samples["baresip-warm"] = _warm_baresip(lab, users["baresip-warm"], uri, plan.warm_calls)
    finally:
        uas.stop()

    def summary(key: str, field: str) -> Summary:
        return Summary.of([s[field] for s in samples[key] if field in s])

    section = Section(
        title="2. Call setup: INVITE sent → 200 OK received (sipp UAS behind kamailio)",
        method=(
            "Each peer, registered at kamailio, calls `sip:service@127.0.0.1:<sipp port>` with "
            "kamailio as outbound proxy; sipp (bench/sipp/uas_fast.xml) answers 200 at once "
            "and holds the call until the BYE (the peer hangs up 50 ms after it is up). "
            "**INVITE → 200 OK** is timed on the wire, the same way for all peers (kernel "
            "timestamps on `lo`, bench/wire.py): the peer's INVITE to kamailio → kamailio's "
            "relayed 200 OK to the peer. Note what this leaves out: once the INVITE is out the "
            "caller does nothing until the 200 arrives, so this number is mostly kamailio and "
            "sipp, and it can hardly tell the callers apart. What the caller itself adds shows "
            "in the other tables: *INVITE → ACK* (the caller's handling of the 200), *dial → "
            "connected as the client reports it* (agent: `CallStateChanged` calling → "
            "confirmed; raw: `dialing` → `confirmed`; engine driver: `make_call()` → "
            "CONFIRMED event; baresip: ctrl_tcp `dial` sent → `CALL_ESTABLISHED` received by "
            "the benchmark, which adds two ctrl_tcp hops), and for cold runs *REGISTER 200 "
            "OK → INVITE* on the wire (how fast the client dials once registered). "
            f"Cold: {plan.cold_calls} process starts per peer after one warm-up, interleaved. "
            f"Warm: {plan.warm_calls} calls per peer in one process, 50 ms apart."
        ),
    )
    rows_of = [(label, key) for key, label in ROWS]
    for field, title in (
        ("invite_ok", "INVITE → 200 OK on the wire"),
        ("invite_ack", "INVITE → ACK on the wire (adds the caller's handling of the 200)"),
        ("reported", "Dial → call connected, as the client reports it"),
        ("dial_to_invite", "Dial, as the client reports it → INVITE on the wire"),
        ("ok_to_reported", "200 OK on the wire → client reports connected"),
        ("reg_to_invite", "Cold runs: REGISTER 200 OK on the wire → INVITE on the wire"),
        (
            "reg_to_reported",
            "Cold runs: REGISTER 200 OK on the wire → client reports the call connected",
        ),
    ):
        rows = [(label, summary(key, field)) for label, key in rows_of]
        # The agent's CALLING event is stamped after its INVITE is on the wire (see the note)
        rows = [(label, s) for label, s in rows if s.n and (field, label) not in AGENT_DIAL]
        section.body.append(f"**{title}**\n\n" + summary_table(rows))
    section.facts = {
        f"{field}_{who}": summary(key, field).median
        for field in ("invite_ok", "invite_ack", "ok_to_reported", "reg_to_invite",
                      "reg_to_reported")
        for who, key in (("agent", "agent-cold"), ("raw", "raw-cold"))
    }  # fmt: skip
    section.facts["invite_ack_engine_warm"] = summary("engine-warm", "invite_ack").median
    section.facts["invite_ack_raw_warm"] = summary("raw-warm", "invite_ack").median
    agent_calling = summary("agent-cold", "dial_to_invite")
    section.body.append(
        "Note on the agent's own dial time: its `CallStateChanged calling` event is stamped "
        f"{fmt(-agent_calling.median)} ms (median) *after* its INVITE is already on the wire — "
        "pjsua reports the CALLING state once the INVITE has been sent — so the agent's "
        "reported *dial → connected* leaves out its own dialling work, and it has no row in "
        "*dial → INVITE*. The like-for-like client-side number for the agent against raw "
        "pjsua2 is *REGISTER 200 OK → call reported connected* (both dial as soon as they "
        "are registered)."
    )
    for field, what in (
        ("invite_ok", "INVITE → 200 OK on the wire"),
        ("invite_ack", "INVITE → ACK on the wire"),
        ("reg_to_reported", "registered (200 on the wire) → call reported connected"),
    ):
        agent, raw = summary("agent-cold", field), summary("raw-cold", field)
        section.verdicts.append(vs_raw(f"{what} (cold vs cold)", agent.median, raw.median))
    return section


if __name__ == "__main__":
    standalone(__doc__.split("\n", 1)[0], run)
