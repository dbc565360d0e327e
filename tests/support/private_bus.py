"""A private D-Bus daemon for tests: its own socket, any name may be owned, started and stopped by
PID (``ManagedProcess``). The Secret Service tests and the fake logind run on one each."""

from __future__ import annotations

from pathlib import Path

from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

from tests.support.process import ManagedProcess

_BUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_private_bus(
    workdir: Path, socket: Path, timeout: float, env: dict[str, str] | None = None
) -> ManagedProcess:
    """``dbus-daemon`` listening on ``socket`` (config and log in ``workdir``), running and
    accepting clients."""
    config = workdir / "bus.conf"
    config.write_text(_BUS_CONFIG.format(socket=socket))
    bus = ManagedProcess(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address"],
        log_path=workdir / "dbus-daemon.log",
        name="dbus-daemon",
        env=env,
    ).start()
    bus.wait_for(lambda: _answers(socket), timeout, "the private D-Bus bus to accept clients")
    return bus


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        with open_dbus_connection(bus=f"unix:path={socket}"):
            return True
    except OSError:
        return False
