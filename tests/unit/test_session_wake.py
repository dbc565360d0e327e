"""The session when the computer wakes from sleep: REGISTER at once, re-authenticate when the
firewall lease lapsed or its re-auth fell due while asleep (the fakes of ``test_session``: the
scheduler's timers do not fire while the test moves the clock, as timers do not in sleep)."""

from __future__ import annotations

from datetime import timedelta

from softphone.core.session_events import ACCOUNT_ID, SessionReason, SessionState
from tests.unit.test_session import T0, World, sign_in, world

__all__ = ["world"]  # the fixture, shared

REREGISTER = f"engine.reregister {ACCOUNT_ID}"


def sleep_for(world: World, seconds: float) -> None:
    world.clock.now += timedelta(seconds=seconds)  # no timer fires: the machine was asleep
    world.log.clear()


def test_a_short_sleep_registers_at_once_without_a_login(world: World) -> None:
    session = sign_in(world)
    sleep_for(world, 600)
    session.on_wake()
    assert world.log == [REREGISTER]
    assert session.next_reauth_at == T0 + timedelta(seconds=3600)  # re-armed by the clock


def test_a_sleep_past_the_lease_logs_in_first_then_registers(world: World) -> None:
    session = sign_in(world)
    sleep_for(world, 25 * 3600)
    session.on_wake()
    assert world.log == ["http.login", "http.provision", REREGISTER]
    assert (SessionState.REFRESHING, SessionReason.WOKE) in world.states()
    lease = world.leases()[-1]
    assert lease.expires_at is not None and lease.expires_at > world.clock.now


def test_a_sleep_past_the_reauth_registers_and_logs_in_at_once(world: World) -> None:
    session = sign_in(world)
    sleep_for(world, 2 * 3600)  # the lease (a day) is still open; the hourly re-auth is due
    session.on_wake()
    assert world.log == [REREGISTER, "http.login", "http.provision"]
    assert session.next_reauth_at == world.clock.now + timedelta(seconds=3600)


def test_a_wake_while_signed_out_does_nothing(world: World) -> None:
    world.session().on_wake()
    assert world.log == []
