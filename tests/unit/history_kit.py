"""Shared by the history tests: an in-memory keychain and call records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from softphone.core import events as ev
from softphone.core.secret import Secret
from softphone.storage.history import CallRecord, Outcome

T0 = 1_780_000_000.0  # a fixed wall-clock start for reproducible ids


class MemorySecrets:
    """A SecretStore in a dict (the real one is the OS keychain)."""

    def __init__(self) -> None:
        self.values: dict[str, Secret] = {}

    def get(self, key: str) -> Secret | None:
        return self.values.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, Secret | None]:
        return {key: self.get(key) for key in keys}  # through get: subclasses change it

    def set(self, key: str, value: Secret) -> None:
        self.values[key] = value

    def update(self, values: Mapping[str, Secret]) -> None:
        for key, value in values.items():
            self.set(key, value)

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    def clear(self) -> None:
        self.values.clear()


def call(
    n: int,
    *,
    number: str = "",
    name: str = "",
    outcome: Outcome = Outcome.ANSWERED,
    direction: ev.Direction = ev.Direction.INBOUND,
    account: str = "acc1",
    sip_code: int = 200,
    auto: bool = False,
) -> CallRecord:
    """The n-th call: started n minutes after T0, 30 s long if answered."""
    start = T0 + 60 * n
    answered = outcome is Outcome.ANSWERED
    return CallRecord(
        direction=direction,
        remote_number=number or f"+1 555 01{n:05d}",
        remote_name=name or f"Caller {n}",
        account_id=account,
        started_at=start,
        answered_at=start + 3 if answered else None,
        ended_at=start + (33 if answered else 20),
        duration_s=30.0 if answered else 0.0,
        outcome=outcome,
        sip_code=sip_code,
        sip_reason="OK" if sip_code == 200 else "Some reason",
        auto_answered=auto,
    )
