"""Where the agent's extra time goes, worked out from the medians of the same run.

Only arithmetic on this run's numbers plus what each measured interval contains; medians of
parts do not add up exactly to the median of the whole, so the splits are approximate.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.report import Section


def _facts(sections: list[Section]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for section in sections:
        merged.update(section.facts)
    return merged


def _startup(f: dict[str, float]) -> str:
    gap = f["total_agent"] - f["total_raw"]
    imports = f["imports_agent"] - f["imports_raw"]
    return (
        f"- **Start-up (§1).** The agent reaches REGISTER 200 OK {gap:.0f} ms after raw "
        f"pjsua2 ({f['total_agent']:.0f} vs {f['total_raw']:.0f} ms), and it is spent "
        f"before the first packet ({f['startup_agent']:.0f} vs {f['startup_raw']:.0f} ms to "
        f"the first REGISTER): the agent's imports alone take {f['imports_agent']:.0f} ms "
        f"against {f['imports_raw']:.0f} ms for the raw script ({imports:.0f} ms more: the "
        "CLI, config, event-model and engine modules on top of pjsua2), while the "
        f"engine itself starts pjsua2 in {f['engine_start']:.1f} ms and the REGISTER "
        f"exchange on the wire is {f['exchange_agent']:.2f} vs {f['exchange_raw']:.2f} ms. "
        "From pjsua2 started to REGISTER 200 OK (what the client does once imported: the "
        f"account, the first REGISTER, the digest exchange) it is {f['after_start_agent']:.2f} "
        f"vs {f['after_start_raw']:.2f} ms. "
        "Without cached bytecode (when no bytecode can be cached) both pay again: "
        f"{f['nocache_agent']:.0f} vs {f['nocache_raw']:.0f} ms."
    )


def _call_setup(f: dict[str, float]) -> str:
    whole = f["reg_to_reported_agent"] - f["reg_to_reported_raw"]
    dial = f["reg_to_invite_agent"] - f["reg_to_invite_raw"]
    ack = f["invite_ack_agent"] - f["invite_ack_raw"]
    wire = f["invite_ok_agent"] - f["invite_ok_raw"]
    return (
        "- **Call setup (§2).** From REGISTER 200 OK to the call reported connected the agent "
        f"takes {whole:+.2f} ms over raw pjsua2 ({f['reg_to_reported_agent']:.2f} vs "
        f"{f['reg_to_reported_raw']:.2f} ms). Roughly: {dial:+.2f} ms before the INVITE "
        "leaves (the registration event travels to the agent's main thread, which submits "
        "`make_call` back to the SIP thread through the command queue); "
        f"{wire:+.2f} ms between INVITE and 200 OK, where the caller does nothing but "
        "share two cores with kamailio and sipp; "
        f"{ack - wire:+.2f} ms between the 200 OK arriving and the ACK leaving (pjsua runs "
        "the state and media callbacks, Python in our engine, before it sends the ACK); "
        f"and about {whole - dial - ack:+.2f} ms after the ACK until the CONFIRMED event is "
        "built. Warm, the engine "
        f"without the agent has INVITE → ACK at {f['invite_ack_engine_warm']:.2f} ms "
        f"against {f['invite_ack_raw_warm']:.2f} ms for raw pjsua2."
    )


def _auto_answer(f: dict[str, float]) -> str:
    engine = f["wire_engine"] - f["wire_raw"]
    agent = f["wire_agent"] - f["wire_engine"]
    return (
        "- **Auto-answer (§3).** At the peer, INVITE in → 200 OK out: raw pjsua2 "
        f"{f['wire_raw']:.2f} ms, our engine alone {f['wire_engine']:.2f} ms "
        f"({engine:+.2f}), the agent {f['wire_agent']:.2f} ms ({agent:+.2f} over the engine "
        f"alone), baresip {f['wire_baresip']:.2f} ms. The engine's share is its Python work "
        "in the callbacks pjsua runs before it sends the 200 (an answer given inside "
        "`onIncomingCall` goes out only after that callback returns, and the media-state "
        "callback runs before the 200 too); the agent's share is what its own process adds "
        "around the engine (a main thread that takes each event, publishes it and prints it "
        "as JSON)."
    )


def _memory(f: dict[str, float]) -> str:
    return (
        f"- **Memory (§4).** The idle agent holds {f['rss_agent']:.1f} MB against "
        f"{f['rss_raw']:.1f} MB for raw pjsua2 (the Python modules and objects of the app). "
        f"Started without cached bytecode it holds {f['rss_agent_nocache']:.1f} MB, most "
        "likely the compiler's garbage from compiling pjsua2's SWIG module and our modules "
        "at start-up, which the allocator keeps."
    )


_PARTS: list[tuple[tuple[str, ...], Callable[[dict[str, float]], str]]] = [
    (("total_agent", "imports_agent", "nocache_agent"), _startup),
    (("reg_to_reported_agent", "invite_ack_engine_warm"), _call_setup),
    (("wire_engine", "wire_agent"), _auto_answer),
    (("rss_agent_nocache",), _memory),
]


def diagnosis(sections: list[Section]) -> str:
    facts = _facts(sections)
    lines = [part(facts) for needed, part in _PARTS if all(k in facts for k in needed)]
    if not lines:
        return ""
    return "## Where the agent's time goes\n\nWorked out from the medians above.\n\n" + (
        "\n".join(lines)
    )
