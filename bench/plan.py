"""How big a run is (full or --quick), and the command line every bench module shares."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench.lab import Lab
from bench.report import Section


@dataclass(frozen=True, slots=True)
class Plan:
    register_runs: int = 20  # process starts per peer
    cold_calls: int = 30  # one call per process start, per peer
    warm_calls: int = 50  # calls per long-lived process, per peer
    answer_calls: int = 50  # sipp UAC calls per peer
    idle_s: float = 60.0
    limits_s: float = 10.0
    quick: bool = False

    @classmethod
    def full(cls) -> Plan:
        return cls()

    @classmethod
    def smoke(cls) -> Plan:
        return cls(
            register_runs=3,
            cold_calls=3,
            warm_calls=5,
            answer_calls=5,
            idle_s=5.0,
            limits_s=3.0,
            quick=True,
        )


def parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--idle-seconds", type=float, help="idle sampling window (default 60)")
    parser.add_argument("--keep", type=Path, help="keep logs and captures in this directory")
    parser.add_argument(
        "--code",
        choices=["head", "worktree"],
        default="head",
        help="benchmark softphone/ as committed in HEAD (default) or the working tree as it is",
    )
    return parser


def plan_from(args: argparse.Namespace) -> Plan:
    plan = Plan.smoke() if args.quick else Plan.full()
    if args.idle_seconds is not None:
        plan = replace(plan, idle_s=args.idle_seconds)
    return plan


def standalone(description: str, run: Callable[[Lab, Plan], Section]) -> None:
    """``python -m bench.<metric>``: one metric against its own kamailio, printed as markdown."""
    args = parser(description).parse_args()
    with Lab(args.keep, code=args.code) as lab:
        print(run(lab, plan_from(args)).markdown())
