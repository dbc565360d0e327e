"""What sipp itself saw: its -trace_msg message log (µs timestamps) and its -trace_rtt file
(response-time durations, which sipp keeps in whole milliseconds)."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

_ENTRY = re.compile(
    r"^-{20,} (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)\n"
    r"(?:UDP|TCP) message (sent|received)[^\n]*\n\n(.*?)(?=^-{20,} \d{4}-|\Z)",
    re.MULTILINE | re.DOTALL,
)
_CALL_ID = re.compile(r"^Call-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)
_CSEQ = re.compile(r"^CSeq:\s*\d+\s+(\w+)", re.MULTILINE | re.IGNORECASE)


def invite_to_ok_ms(message_log: str) -> list[float]:
    """Per call, INVITE sent → its 200 OK received, in ms, from sipp's message log."""
    sent: dict[str, float] = {}
    times: list[float] = []
    for day, clock, direction, text in _ENTRY.findall(message_log):
        at = datetime.fromisoformat(f"{day}T{clock}").timestamp()
        first = text.split("\n", 1)[0]
        call_id = _CALL_ID.search(text)
        cseq = _CSEQ.search(text)
        if not call_id or not cseq or cseq.group(1).upper() != "INVITE":
            continue
        key = call_id.group(1)
        if direction == "sent" and first.startswith("INVITE "):
            sent.setdefault(key, at)
        elif direction == "received" and first.startswith("SIP/2.0 200") and key in sent:
            times.append((at - sent.pop(key)) * 1000)
    return times


def rtt_ms(directory: Path) -> list[float]:
    """Every response time sipp -trace_rtt -rtt_freq 1 wrote (``*_rtt.csv``) in ``directory``."""
    values: list[float] = []
    for path in sorted(directory.glob("*_rtt.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                value = row.get("response_time_ms", "")
                if value:
                    values.append(float(value))
    return values
