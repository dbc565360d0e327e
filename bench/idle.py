"""Metric 4: CPU and memory of a registered, idle peer.

The three peers run side by side over the same window, each registered to kamailio with
auto-answer on (as an agent waiting for VICIdial's call is). CPU is utime + stime of the whole
process (all threads) from /proc/<pid>/stat over the window; RSS is /proc/<pid>/status VmRSS,
read once a second.
"""

from __future__ import annotations

import time

from bench.lab import Lab
from bench.peers import AgentPeer, BaresipPeer, Peer, RawPeer, wait_wire_registered
from bench.plan import Plan, standalone
from bench.procstat import TICKS_PER_S, sample
from bench.report import Section, Verdict
from bench.stats import fmt, markdown_table

SETTLE_S = 2.0  # let start-up work (imports, first REGISTER, GC) finish before the window
CPU_TARGET = 0.5  # % of one core
RSS_TARGET_MB = 60.0  # 10^6 bytes
MIB_TO_MB = 1.048576


def run(lab: Lab, plan: Plan) -> Section:
    mark = lab.wire.mark()
    agent = AgentPeer(lab, lab.new_user(), "idle-agent").start(answer=True)
    raw = RawPeer(lab, lab.new_user(), "idle-raw").start(answer=True)
    baresip = BaresipPeer(lab, lab.new_user(), "idle-baresip").start(answer=True)
    # the agent where PYTHONDONTWRITEBYTECODE=1 is set: compiled from source at every start
    uncached = AgentPeer(lab, lab.new_user(), "idle-agent-nocache", bytecode_cache=False)
    uncached.start(answer=True)
    peers: dict[str, Peer] = {
        "agent": agent,
        "raw": raw,
        "baresip": baresip,
        "agent-nocache": uncached,
    }
    try:
        for peer in peers.values():
            wait_wire_registered(lab, peer.user, mark)
        time.sleep(SETTLE_S)
        usage = sample({k: p.pid for k, p in peers.items()}, plan.idle_s)
    finally:
        for peer in peers.values():
            peer.stop()

    labels = {
        "agent": AgentPeer.label,
        "raw": f"{RawPeer.label}, libHandleEvents(20) loop",
        "baresip": BaresipPeer.label,
        "agent-nocache": f"{AgentPeer.label}, no cached bytecode (no .pyc)",
    }
    base_cpu = usage["raw"].cpu_percent
    low_rss = min(u.rss_max_mib for u in usage.values())
    rows = [
        [
            labels[k],
            fmt(u.cpu_percent, 3),
            str(round(u.cpu_percent / 100 * u.seconds * TICKS_PER_S)),
            f"{u.cpu_percent / base_cpu:.2f}×" if base_cpu > 0 else "—",
            fmt(u.rss_mean_mib * MIB_TO_MB, 1),
            fmt(u.rss_max_mib * MIB_TO_MB, 1),
            fmt(u.rss_max_mib, 1),
            f"{u.rss_max_mib / low_rss:.1f}×",
            str(u.threads),
        ]
        for k, u in usage.items()
    ]
    seconds = usage["agent"].seconds
    section = Section(
        title="4. Idle CPU and RSS of a registered peer",
        method=(
            "Agent (`--answer header`), raw pjsua2 (`--answer`) and baresip (answermode=auto) "
            "each register one account at kamailio and then sit idle, side by side, for the "
            f"same {seconds:.1f} s window (after {SETTLE_S:.0f} s to settle). CPU = Δ(utime + "
            "stime) of the whole process over the window ÷ wall time, in % of one core (clock "
            "ticks of 10 ms: ±0.02 % over 60 s). RSS = VmRSS, sampled every second; MB = "
            "10^6 bytes. The last row is the agent started with no cached bytecode "
            "(for the venv and the project: all of it compiled from "
            "source at start, and the compiler's garbage stays in the heap). CPU ÷ raw "
            "pjsua2 rather than ÷ fastest: baresip's idle CPU rounds to zero ticks."
        ),
    )
    section.body.append(
        markdown_table(
            [
                "peer",
                "CPU (% of a core)",
                "CPU ticks (10 ms)",
                "CPU ÷ raw pjsua2",
                "RSS mean (MB)",
                "RSS max (MB)",
                "RSS max (MiB)",
                "RSS ÷ lowest",
                "threads",
            ],
            rows,
        )
    )
    a, n = usage["agent"], usage["agent-nocache"]
    section.facts = {
        "rss_agent": a.rss_max_mib * MIB_TO_MB,
        "rss_agent_nocache": n.rss_max_mib * MIB_TO_MB,
        "rss_raw": usage["raw"].rss_max_mib * MIB_TO_MB,
        "cpu_agent": a.cpu_percent,
        "cpu_raw": usage["raw"].cpu_percent,
    }
    section.verdicts += [
        Verdict(
            f"idle CPU of the registered agent ≤ {CPU_TARGET} % of a core",
            f"{fmt(a.cpu_percent, 3)} %",
            a.cpu_percent <= CPU_TARGET,
        ),
        Verdict(
            f"RSS of the headless agent ≤ {RSS_TARGET_MB:.0f} MB",
            f"{fmt(a.rss_max_mib * MIB_TO_MB, 1)} MB max ({fmt(a.rss_max_mib, 1)} MiB)",
            a.rss_max_mib * MIB_TO_MB <= RSS_TARGET_MB,
        ),
        Verdict(
            f"RSS of the headless agent ≤ {RSS_TARGET_MB:.0f} MB, with no cached bytecode "
            "(when no bytecode can be cached)",
            f"{fmt(n.rss_max_mib * MIB_TO_MB, 1)} MB max ({fmt(n.rss_max_mib, 1)} MiB)",
            n.rss_max_mib * MIB_TO_MB <= RSS_TARGET_MB,
        ),
    ]
    return section


if __name__ == "__main__":
    standalone(__doc__.split("\n", 1)[0], run)
