"""Launch at login: the Linux XDG file for real; the Windows and macOS content as units."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import subprocess
from pathlib import Path

import pytest

from softphone.desktop.autostart import (
    APP_NAME,
    DESKTOP_FILE,
    LAUNCH_AGENT_LABEL,
    MacLaunchAgent,
    WindowsAutostart,
    XdgAutostart,
    autostart_for,
    desktop_entry,
    launch_agent_plist,
    launch_command,
    windows_command_line,
    xdg_config_home,
)

ARGV = ["/opt/Vici Fast/bin/vicifast-phone", "--x=50%"]


def test_linux_writes_and_removes_the_desktop_file_under_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    auto = XdgAutostart(ARGV)
    assert auto.path == tmp_path / "cfg" / "autostart" / DESKTOP_FILE
    assert not auto.enabled()
    auto.enable()
    assert auto.enabled() and auto.path.is_file()
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(auto.path, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == APP_NAME
    assert section["Exec"] == '"/opt/Vici Fast/bin/vicifast-phone" "--x=50%%"'
    auto.disable()
    assert not auto.path.exists() and not auto.enabled()
    auto.disable()  # idempotent


def test_xdg_config_home_falls_back_to_dot_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert xdg_config_home() == Path.home() / ".config"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/path")  # the spec says: ignore it
    assert xdg_config_home() == Path.home() / ".config"


def test_desktop_entry_quotes_per_spec() -> None:
    text = desktop_entry(["/usr/bin/python3", "-m", "softphone.cli"])
    assert "Exec=/usr/bin/python3 -m softphone.cli\n" in text
    text = desktop_entry(['/a b/c"d$e'])
    # quoted for Exec, then each backslash doubled for the string value (GLib needs both)
    assert 'Exec="/a b/c\\\\"d\\\\$e"\n' in text
    assert "Icon=" not in text  # the app ships no icon to name


class DictRegistry:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_windows_run_value() -> None:
    assert windows_command_line([r"C:\Program Files\VICIfast\vicifast.exe"]) == (
        r'"C:\Program Files\VICIfast\vicifast.exe"'
    )
    registry = DictRegistry()
    auto = WindowsAutostart([r"C:\Program Files\VICIfast\vicifast.exe", "-m"], registry)
    assert not auto.enabled()
    auto.enable()
    assert registry.values == {APP_NAME: r'"C:\Program Files\VICIfast\vicifast.exe" -m'}
    assert auto.enabled()
    auto.disable()
    assert registry.values == {} and not auto.enabled()


def test_macos_launch_agent(tmp_path: Path) -> None:
    data = plistlib.loads(launch_agent_plist(ARGV))
    assert data["Label"] == LAUNCH_AGENT_LABEL
    assert data["ProgramArguments"] == ARGV
    assert data["RunAtLoad"] is True and data["KeepAlive"] is False
    agent = MacLaunchAgent(ARGV, home=tmp_path)
    agent.enable()
    assert agent.path == tmp_path / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
    assert plistlib.loads(agent.path.read_bytes())["ProgramArguments"] == ARGV
    agent.disable()
    assert not agent.enabled()


def test_platform_choice_and_the_launch_command_runs() -> None:
    assert isinstance(autostart_for("linux"), XdgAutostart)
    assert isinstance(autostart_for("win32"), WindowsAutostart)
    assert isinstance(autostart_for("darwin"), MacLaunchAgent)
    argv = launch_command()
    assert Path(argv[0]).is_absolute()
    # the command must start the real app's command line (asked for its help: no GUI)
    result = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "vicifast" in result.stdout.lower() or "usage" in result.stdout.lower()
    assert shlex.join(argv)
