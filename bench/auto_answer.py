"""Metric 3: auto-answer, INVITE received → 200 OK sent, with a sipp UAC calling through kamailio.

sipp runs bench/sipp/uac_autoanswer_rtd.xml (tests/sipp/uac_autoanswer.xml with a response-time
duration around INVITE → 200; the INVITE carries ``Call-Info: <…>;answer-after=0``), one call
at a time, against each registered peer in turn: the agent with ``--answer header``, raw
pjsua2 answering 200 in onIncomingCall, baresip with answermode=auto; and, to tell the engine
from the agent around it, our SipEngine in bench/engine_driver.py (``--mode answer``: same
policy, nothing printed per call).
"""

from __future__ import annotations

import contextlib

from bench.lab import SCENARIOS, Lab
from bench.peers import AgentPeer, BaresipPeer, EngineDriverPeer, RawPeer, wait_wire_registered
from bench.plan import Plan, standalone
from bench.report import Section, summary_table, vs_raw
from bench.sipp_log import invite_to_ok_ms, rtt_ms
from bench.stats import Summary
from bench.wire import incoming_answers, round_trips

KINDS = ("agent", "engine", "raw", "baresip")
LABELS = {
    "agent": AgentPeer.label,
    "engine": "our engine without the agent (bench/engine_driver.py)",
    "raw": RawPeer.label,
    "baresip": BaresipPeer.label,
}
PAUSE_MS = 50  # the call stays up this long before sipp's BYE


def _one_peer(lab: Lab, kind: str, calls: int) -> dict[str, list[float]]:
    user = lab.new_user()
    name = f"answer-{kind}"
    mark = lab.wire.mark()
    peer: AgentPeer | RawPeer | BaresipPeer | EngineDriverPeer
    if kind == "baresip":
        peer = BaresipPeer(lab, user, name).start(answer=True)
    elif kind == "engine":
        peer = EngineDriverPeer(lab, user, name)
        peer.run_driver(["--mode", "answer", "--proxy-port", str(lab.proxy_port), "--users", user])
    else:
        peer = (AgentPeer if kind == "agent" else RawPeer)(lab, user, name).start(answer=True)
    rtt_dir = lab.dir(f"sipp/rtt-{kind}")
    try:
        wait_wire_registered(lab, user, mark)
        # sipp writes its -trace_rtt file into its working directory; tests.support's Sipp
        # has no cwd parameter, so start it from inside the directory meant for it.
        with contextlib.chdir(rtt_dir):
            uac = lab.sipp.start(
                SCENARIOS / "uac_autoanswer_rtd.xml",
                lab.kamailio.hostport(),
                service=user,
                calls=calls,
                pause_ms=PAUSE_MS,
                timeout=30 + calls,
                extra_args=["-l", "1", "-r", "10", "-trace_rtt", "-rtt_freq", "1"],
            )
        result = uac.wait(40.0 + calls)
    finally:
        peer.stop()
    result.assert_ok()
    packets = lab.wire.packets[mark:]
    return {
        "sipp_wire": [e.ms for e in round_trips(packets, uac.port)],
        "rtd": rtt_ms(rtt_dir),
        "sipp_log": invite_to_ok_ms(result.messages),
        "wire": [e.ms for e in incoming_answers(packets, user, lab.proxy_port)],
    }


def run(lab: Lab, plan: Plan) -> Section:
    samples = {kind: _one_peer(lab, kind, plan.answer_calls) for kind in KINDS}
    section = Section(
        title="3. Auto-answer: INVITE received → 200 OK sent (sipp UAC through kamailio)",
        method=(
            "sipp calls the registered peer through kamailio with `Call-Info: "
            "<sip:…>;answer-after=0` (bench/sipp/uac_autoanswer_rtd.xml, a copy of "
            "tests/sipp/uac_autoanswer.xml with a response-time duration from the INVITE to "
            f"its 200), one call at a time, {plan.answer_calls} calls per peer, each held "
            f"{PAUSE_MS} ms then ended by sipp's BYE. Four views of the same calls, all "
            "taken the same way for every peer. **At sipp's port on the wire** (the "
            "headline): the INVITE leaving sipp → the 200 OK reaching it, kernel timestamps "
            "on `lo` (bench/wire.py); kamailio's relay both ways is included. **sipp's "
            "message log** (`-trace_msg`, µs): the same interval as sipp itself stamps it; "
            "compared with the wire, sipp sometimes stamps a sent INVITE up to ~0.7 ms late "
            "(it logs after other work), which makes single calls look shorter, down to "
            "impossible values; its medians stay within ~0.05 ms of the wire. **sipp rtd** "
            "(`start_rtd`/`rtd`, `-trace_rtt -rtt_freq 1`): the scenario's own response-time "
            "duration, but sipp keeps it in whole milliseconds of its loop clock, so it reads "
            "0 or a coarse tick and cannot tell peers apart at this scale. **At the peer on "
            "the wire**: the INVITE kamailio delivers to the peer → the 200 OK the peer sends "
            "back; only the peer's own time."
        ),
    )
    for key, title in (
        ("sipp_wire", "At sipp's port on the wire: INVITE sent → 200 OK received"),
        ("sipp_log", "sipp's message log: INVITE sent → 200 OK received"),
        ("rtd", "sipp rtd (whole milliseconds)"),
        ("wire", "At the peer on the wire: INVITE delivered → 200 OK sent"),
    ):
        rows = [(LABELS[k], Summary.of(samples[k][key])) for k in KINDS]
        section.body.append(f"**{title}**\n\n" + summary_table(rows))
    section.facts = {
        f"{key}_{kind}": Summary.of(samples[kind][key]).median
        for key in ("wire", "sipp_wire")
        for kind in KINDS
    }
    for key, what in (
        ("sipp_wire", "INVITE → 200 OK at sipp (wire)"),
        ("wire", "INVITE → 200 OK at the peer (wire)"),
    ):
        agent = Summary.of(samples["agent"][key])
        raw = Summary.of(samples["raw"][key])
        section.verdicts.append(vs_raw(f"auto-answer {what}", agent.median, raw.median))
    return section


if __name__ == "__main__":
    standalone(__doc__.split("\n", 1)[0], run)
