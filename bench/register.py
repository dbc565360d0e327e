"""Metric 1: process start → REGISTER 200 OK (digest auth through kamailio, UDP).

Each run spawns a fresh process of one peer, waits until kamailio's 200 OK to its REGISTER is
on the wire, then stops it (it unregisters). Runs are interleaved agent, raw, baresip, agent,
… so a drift in background load touches all three alike; each peer first gets one unrecorded
warm-up start (page cache, first import).
"""

from __future__ import annotations

import json

from bench.lab import Lab
from bench.peers import AgentPeer, BaresipPeer, RawPeer, wait_wire_registered
from bench.plan import Plan, standalone
from bench.report import Section, Verdict, summary_table, vs_raw, within
from bench.stats import Summary, fmt
from bench.wire import registrations

KINDS = ("agent", "raw", "baresip")
PYTHON_KINDS = ("agent", "raw")
LABELS = {"agent": AgentPeer.label, "raw": RawPeer.label, "baresip": BaresipPeer.label}


def _one_start(
    lab: Lab, kind: str, user: str, name: str, *, bytecode_cache: bool = True
) -> dict[str, float]:
    mark = lab.wire.mark()
    peer: AgentPeer | RawPeer | BaresipPeer
    if kind == "baresip":
        peer = BaresipPeer(lab, user, name).start()
    else:
        cls = AgentPeer if kind == "agent" else RawPeer
        peer = cls(lab, user, name, bytecode_cache=bytecode_cache).start()
    try:
        wait_wire_registered(lab, user, mark)
        reported = started = None
        if not isinstance(peer, BaresipPeer):
            match = {"event": "RegistrationChanged", "state": "registered"}
            peer.wait_event(match if kind == "agent" else {"event": "registered"}, 5.0)
            reported = peer.reported_registered_at()
            started = peer.reported_started_at()
    finally:
        peer.stop()
    reg = registrations(lab.wire.packets[mark:], user)[0]
    sample = {
        "startup": (reg.first_request_at - peer.spawned_at) * 1000,
        "exchange": reg.ms,
        "client_turn": reg.client_turn_ms if reg.client_turn_ms is not None else float("nan"),
        "total": (reg.ok_at - peer.spawned_at) * 1000,
    }
    if reported is not None:
        sample["reported"] = (reported - peer.spawned_at) * 1000
        sample["report_lag"] = (reported - reg.ok_at) * 1000
    if started is not None:
        sample["after_start"] = (reg.ok_at - started) * 1000
    return sample


# Issue 21's target for start → REGISTER 200 OK (it replaced the 1.2× of the other metrics).
START_FACTOR = 1.3

# What each Python peer imports before it can start pjsua2 (pjsua2's bindings load lazily, on
# the first attribute access, which both peers make when they subclass pj.Account). The agent's
# includes the command line's parser as ``main`` builds it for ``agent`` (a subcommand's
# parser may import its module); ``only`` is not there in code older than issue 21.
_AGENT_PARSER = (
    "import softphone.cli.command as c; "
    "c._parser(**({'only': 'agent'} if 'only' in c._parser.__code__.co_varnames else {}))"
)
IMPORTS = {
    "agent": f"{_AGENT_PARSER}; import softphone.headless.agent, pjsua2; pjsua2.Account",
    "raw": "import argparse, gc, json, os, signal, sys, time, typing, pjsua2; pjsua2.Account",
}


def _import_ms(lab: Lab, kind: str) -> float:
    code = f"import time; t = time.perf_counter(); {IMPORTS[kind]}; print(time.perf_counter() - t)"
    return float(lab.python(["-c", code]).strip().splitlines()[-1]) * 1000


def _engine_startup_ms(lab: Lab, names: list[str]) -> list[float]:
    """``startup_ms`` of the agent's EngineStarted event (libCreate … libStart), per run."""
    values = []
    for name in names:
        for line in (lab.dir("peers") / f"{name}.log").read_text().splitlines():
            if line.startswith('{"event":"EngineStarted"'):
                values.append(float(json.loads(line)["startup_ms"]))
    return values


def run(lab: Lab, plan: Plan) -> Section:
    users = {kind: lab.new_user() for kind in KINDS}
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    for kind in KINDS:
        _one_start(lab, kind, users[kind], f"register-{kind}-warmup")
    for i in range(plan.register_runs):
        for kind in KINDS:
            samples[kind].append(_one_start(lab, kind, users[kind], f"register-{kind}-{i}"))
    # The same starts without a bytecode cache: nothing but the stdlib compiled.
    uncached: dict[str, list[dict[str, float]]] = {kind: [] for kind in PYTHON_KINDS}
    for i in range(plan.register_runs):
        for kind in PYTHON_KINDS:
            name = f"register-{kind}-nocache-{i}"
            uncached[kind].append(_one_start(lab, kind, users[kind], name, bytecode_cache=False))

    def summary(
        kind: str, key: str, source: dict[str, list[dict[str, float]]] = samples
    ) -> Summary:
        return Summary.of([s[key] for s in source[kind] if key in s and s[key] == s[key]])

    section = Section(
        title="1. Process start → REGISTER 200 OK (UDP, digest auth via kamailio)",
        method=(
            "Each run spawns a fresh process (the clock starts just before the fork) that "
            "registers one account at kamailio on 127.0.0.1 (REGISTER → 401 → REGISTER with "
            "credentials → 200). Times on the wire come from a packet socket on `lo` with "
            "kernel timestamps (bench/wire.py): *start → 200 on the wire* is the headline; it "
            "splits into *start → first REGISTER sent* (process start-up: interpreter, imports, "
            "library init) and *REGISTER exchange* (first REGISTER → 200, both legs of the "
            "digest handshake). *Start → client reports registered* is the `at` of the "
            "client's own event (the agent's `RegistrationChanged registered` JSON line, the "
            "raw script's `registered` line); baresip reports over ctrl_tcp, which has no "
            "timestamp, so it has none. "
            "The Python peers run from a bytecode cache (see *Reading these numbers*); the "
            "last table repeats the starts without one. "
            f"{plan.register_runs} runs per peer after one warm-up, interleaved."
        ),
    )
    for key, title in (
        ("total", "Start → REGISTER 200 OK on the wire"),
        ("startup", "Start → first REGISTER on the wire (process start-up)"),
        ("exchange", "REGISTER exchange on the wire (first REGISTER → 200 OK)"),
        (
            "client_turn",
            "The client's turn in that exchange (401 in → REGISTER with credentials out)",
        ),
        ("reported", "Start → client reports registered"),
        ("report_lag", "200 OK on the wire → client reports registered"),
        (
            "after_start",
            "pjsua2 started (libStart returned, as the client reports it) → REGISTER 200 OK on "
            "the wire: the client's part once its imports are done (account set-up, first "
            "REGISTER, digest exchange)",
        ),
    ):
        kinds = PYTHON_KINDS if key == "after_start" else KINDS
        rows = [(LABELS[k], summary(k, key)) for k in kinds]
        section.body.append(f"**{title}**\n\n" + summary_table(rows, tail="p90"))

    imports = {k: Summary.of([_import_ms(lab, k) for _ in range(5)]) for k in PYTHON_KINDS}
    engine = Summary.of(
        _engine_startup_ms(lab, [f"register-agent-{i}" for i in range(plan.register_runs)])
    )
    section.body.append(
        "**Where start-up goes (diagnostics)**: the imports each Python peer needs before "
        "pjsua2 can start, timed inside a fresh interpreter with the bytecode cache (5 runs "
        "each), and the agent's own `EngineStarted.startup_ms` (libCreate → libStart)\n\n"
        + summary_table(
            [
                (
                    "our agent: imports (softphone.cli and its `agent` parser, "
                    "softphone.headless.agent, pjsua2)",
                    imports["agent"],
                ),
                ("raw pjsua2: imports (stdlib bits, pjsua2)", imports["raw"]),
                ("our agent: engine start (EngineStarted.startup_ms)", engine),
            ],
            tail="p90",
            best_of=[],
        )
    )
    rows = [(LABELS[k], summary(k, "total", uncached)) for k in PYTHON_KINDS]
    section.body.append(
        "**Start → REGISTER 200 OK on the wire, without cached bytecode for the venv and the "
        "project** (as where PYTHONDONTWRITEBYTECODE=1 is set and there is no "
        ".pyc in the venv — so every start compiles pjsua2's 570 kB SWIG module and every "
        "softphone module from source; the standard library's .pyc are used as installed)"
        "\n\n" + summary_table(rows, tail="p90")
    )
    section.facts = {
        "total_agent": summary("agent", "total").median,
        "total_raw": summary("raw", "total").median,
        "startup_agent": summary("agent", "startup").median,
        "startup_raw": summary("raw", "startup").median,
        "exchange_agent": summary("agent", "exchange").median,
        "exchange_raw": summary("raw", "exchange").median,
        "after_start_agent": summary("agent", "after_start").median,
        "after_start_raw": summary("raw", "after_start").median,
        "imports_agent": imports["agent"].median,
        "imports_raw": imports["raw"].median,
        "engine_start": engine.median,
        "nocache_agent": summary("agent", "total", uncached).median,
        "nocache_raw": summary("raw", "total", uncached).median,
    }
    agent, raw = summary("agent", "total").median, summary("raw", "total").median
    section.verdicts.append(
        Verdict(
            f"start → REGISTER 200 OK within {START_FACTOR}× of raw pjsua2 (medians)",
            f"{fmt(agent)} ms vs {fmt(raw)} ms ({agent / raw:.2f}×)",
            within(agent, raw, START_FACTOR),
        )
    )
    exchange_agent, exchange_raw = summary("agent", "exchange"), summary("raw", "exchange")
    section.verdicts.append(
        vs_raw("REGISTER exchange on the wire", exchange_agent.median, exchange_raw.median)
    )
    return section


if __name__ == "__main__":
    standalone(__doc__.split("\n", 1)[0], run)
