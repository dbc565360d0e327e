"""Turning pjsua2's errors into text people can read."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def pj_message(err: Any) -> str:
    """A one-line text of a ``pjsua2.Error`` without its traceback or object references."""
    reason = str(getattr(err, "reason", "") or err)
    return reason.split("(", 1)[0].strip() if "(PJ" in reason else reason.strip()


def pj_detail(err: Any) -> str:
    """The whole reason of a ``pjsua2.Error`` with pjsip's status name, for diagnostics."""
    return str(getattr(err, "reason", "") or err).strip()
