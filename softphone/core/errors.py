"""Errors of the domain layer.

VicifastError                 base of every error a user can meet; ``str()`` is for people
├── ConfigError               a setting or provisioned value is out of bounds or malformed
├── NotDeleted                a wipe (sign-out, revocation) left something behind: what, where
└── EngineError               the SIP engine refused or failed a command
    ├── LimitExceeded         the wheel's compile-time limits (4 calls, 8 accounts) are reached
    ├── UnknownCall           a command named a call that has ended or never existed
    ├── UnknownAccount        a command named an account that is not configured
    └── EngineNotRunning      a command reached a stopped engine

FrozenInstanceError (an AttributeError, as ``dataclasses.FrozenInstanceError`` is): code assigned
to a field of a frozen value (``core.values``); a bug, never a user's error.
"""

from __future__ import annotations


class FrozenInstanceError(AttributeError):
    """Assignment to, or deletion of, a field of a frozen value class."""


class VicifastError(Exception):
    """Base error; its message is written for the person using the app."""


class ConfigError(VicifastError):
    pass


class NotDeleted(VicifastError):
    """Something a wipe had to delete is still there. ``what`` names it for people ("the call
    history"), ``where`` is its path or place ("" when ``what`` says it), ``why`` the reason."""

    def __init__(self, what: str, where: str, why: str) -> None:
        self.what, self.where = what, where
        self.why = why.strip().rstrip(".") or "unknown error"
        place = f"{what} at {where}" if where else what
        super().__init__(f"{place} could not be deleted: {self.why}")


class EngineError(VicifastError):
    pass


class LimitExceeded(EngineError):
    pass


class UnknownCall(EngineError):
    pass


class UnknownAccount(EngineError):
    pass


class EngineNotRunning(EngineError):
    pass
