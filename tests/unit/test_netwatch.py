"""NetWatch reports a change of the local address once, and not the first address or offline."""

from __future__ import annotations

from softphone.signin.netwatch import NetWatch, local_address_towards


def test_reports_a_change_once_and_ignores_offline_and_the_first_address() -> None:
    answers = iter([None, "192.0.2.10", "192.0.2.10", None, "192.0.2.10", "198.51.100.7"])
    changes: list[tuple[str, str]] = []
    watch = NetWatch(lambda: next(answers), lambda old, new: changes.append((old, new)))
    assert watch.address is None
    assert [watch.check() for _ in range(4)] == [False, False, False, False]
    assert watch.check() is True
    assert changes == [("192.0.2.10", "198.51.100.7")]
    assert watch.address == "198.51.100.7"


def test_the_route_probe_finds_the_source_address() -> None:
    assert local_address_towards("127.0.0.1", 9) == "127.0.0.1"
