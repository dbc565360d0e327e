"""Metric 5: at the wheel's limits, 8 accounts and 4 simultaneous calls in one engine.

bench/engine_driver.py (``--mode concurrent``) runs our SipEngine in its own process: it adds
8 accounts (users 2001-2008 of the lab's kamailio) at once, waits until all are registered,
then places 4 calls (from 4 of the accounts) to a sipp UAS that answers at once and holds each
call until its BYE. While the 4 calls are up this module samples the driver's CPU and RSS
from /proc, then the driver hangs up and stops.
"""

from __future__ import annotations

from bench.lab import SCENARIOS, USERS, Lab
from bench.peers import EngineDriverPeer
from bench.plan import Plan, standalone
from bench.procstat import sample
from bench.report import Section, Verdict
from bench.stats import fmt, markdown_table
from bench.wire import outgoing_invites, registrations

ACCOUNTS = [u for u in USERS if u.startswith("2")]  # 2001-2008
CALLS = 4
MIB_TO_MB = 1.048576


def run(lab: Lab, plan: Plan) -> Section:
    uas = lab.sipp.start(SCENARIOS / "uas_fast.xml", calls=CALLS, timeout=120)
    mark = lab.wire.mark()
    driver = EngineDriverPeer(lab, ACCOUNTS[0], "limits-engine")
    hold_s = plan.limits_s + 2.0  # the sampling window fits inside the hold
    driver.run_driver(
        [
            "--mode", "concurrent", "--proxy-port", str(lab.proxy_port),
            "--users", *ACCOUNTS, "--target", uas.uri(),
            "--calls", str(CALLS), "--hold", str(hold_s),
        ]
    )  # fmt: skip
    try:
        driver.wait_event({"event": "calls_up"}, 30.0)
        usage = sample({"engine": driver.pid}, plan.limits_s)["engine"]
        driver.wait_event({"event": "calls_down"}, hold_s + 15.0)
        rc = driver.wait_exit(15.0)
    finally:
        driver.stop()
    sipp = uas.wait(15.0)
    if rc != 0:
        raise RuntimeError(f"engine driver exited with {rc}; see {lab.workdir}/peers")

    events = driver.events()
    reported = next(e for e in events if e["event"] == "all_registered")
    packets = lab.wire.packets[mark:]
    regs = {u: registrations(packets, u) for u in ACCOUNTS}
    registered = [u for u, r in regs.items() if r]
    calls = [c for u in ACCOUNTS for c in outgoing_invites(packets, u, lab.proxy_port)]
    # "at once": every call was confirmed (ACK sent) before the first BYE of the hang-up
    first_bye = min((p.at for p in packets if p.method == "BYE"), default=float("inf"))
    together = [c for c in calls if c.ack_at is not None and c.ack_at < first_bye]
    wire_all_ms = (
        (max(r[0].ok_at for r in regs.values() if r) - min(r[0].first_request_at
         for r in regs.values() if r)) * 1000
        if registered
        else float("nan")
    )  # fmt: skip
    rows = [
        ["accounts registered", f"{len(registered)} / {len(ACCOUNTS)}"],
        ["add 8 accounts → all reported registered", f"{fmt(reported['ms'])} ms"],
        ["first REGISTER → last 200 OK on the wire", f"{fmt(wire_all_ms)} ms"],
        ["calls up at once (ACK on the wire before the first BYE)", f"{len(together)} / {CALLS}"],
        ["sipp UAS: successful calls", f"{sipp.successful_calls} / {CALLS}"],
        [f"CPU with {CALLS} calls up ({usage.seconds:.1f} s)", f"{fmt(usage.cpu_percent, 2)} %"],
        ["RSS with the calls up (mean / max)",
         f"{fmt(usage.rss_mean_mib * MIB_TO_MB, 1)} / {fmt(usage.rss_max_mib * MIB_TO_MB, 1)} MB"],
        ["threads", str(usage.threads)],
        ["commands that failed", str(next(e for e in events if e["event"] == "stopped")
                                     ["command_failures"])],
    ]  # fmt: skip
    section = Section(
        title="5. At the wheel's limits: 8 accounts, 4 calls at once, one engine",
        method=(
            "One process runs our `SipEngine` directly (bench/engine_driver.py, `--mode "
            "concurrent`); the agent has no way to run 8 accounts. It adds 8 accounts at "
            "once (kamailio users 2001-2008, digest auth, UDP) and waits for every "
            "`RegistrationChanged registered`; *add → all registered* runs from the first "
            "`add_account` call to the last such event. Then it places 4 calls, one from each "
            "of 4 accounts, to a sipp UAS (bench/sipp/uas_fast.xml) that answers at once and "
            "holds them; RTP flows from each call (the null audio device feeds the "
            "conference bridge, 20 ms PCMU frames). With the 4 calls up the benchmark samples "
            f"the driver's CPU and RSS from /proc for {usage.seconds:.1f} s, then the driver "
            "hangs up and stops."
        ),
        body=[markdown_table(["measure", "value"], rows)],
    )
    section.verdicts += [
        Verdict(
            "every one of the 8 accounts registers",
            f"{len(registered)} / {len(ACCOUNTS)}",
            len(registered) == len(ACCOUNTS),
        ),
        Verdict(
            "every one of the 4 calls connects",
            f"{len(together)} / {CALLS} up at once on the wire, "
            f"{sipp.successful_calls} / {CALLS} completed at sipp",
            len(together) == CALLS and sipp.successful_calls == CALLS,
        ),
    ]
    return section


if __name__ == "__main__":
    standalone(__doc__.split("\n", 1)[0], run)
