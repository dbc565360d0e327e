"""Launch at login, per platform: what the OS itself reads at login, nothing more.

- Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/vicifast-desktop.desktop``
  (``~/.config`` when XDG_CONFIG_HOME is unset or not absolute, as the XDG spec says).
- Windows: a value named ``VICIfast Desktop`` under ``HKCU\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run``.
- macOS: ``~/Library/LaunchAgents/com.vicifast.desktop.plist`` with ``RunAtLoad``.

The content builders are pure functions (tested on every platform); ``autostart_for`` picks the
platform's implementation. Errors are ``AutostartError`` with a message for people.
"""

from __future__ import annotations

import importlib
import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from softphone.core.errors import VicifastError

APP_NAME: Final = "VICIfast Desktop"
DESKTOP_FILE: Final = "vicifast-desktop.desktop"
LAUNCH_AGENT_LABEL: Final = "com.vicifast.desktop"
RUN_KEY: Final = r"Software\Microsoft\Windows\CurrentVersion\Run"


class AutostartError(VicifastError):
    """Launch at login could not be turned on or off; the message says why."""


class Autostart(Protocol):
    def enabled(self) -> bool: ...

    def enable(self) -> None: ...

    def disable(self) -> None: ...


def launch_command() -> list[str]:
    """The command that starts the app: the bundle's executable, the installed script, or the
    interpreter running the package. No arguments: "start minimised" is a setting of its own."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which("vicifast-phone")
    if script:
        return [script]
    return [sys.executable, "-m", "softphone.cli"]


# ---- content builders (pure) ----------------------------------------------------------------


_RESERVED: Final = frozenset(" \t\n\"'\\><~|&;$*?#()`=")


def _exec_arg(arg: str) -> str:
    # Desktop Entry spec, Exec key: a literal % is %%; an argument with a reserved character is
    # quoted, and inside quotes ", `, $ and \ take a backslash.
    arg = arg.replace("%", "%%")
    if arg and not any(ch in _RESERVED for ch in arg):
        return arg
    return '"' + "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg) + '"'


def _string_value(value: str) -> str:
    # A string value's own escapes, which readers undo before the Exec quoting: so a backslash
    # of the quoting is written twice (GLib rejects a bare \" as an invalid escape).
    for raw, escaped in (("\\", "\\\\"), ("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")):
        value = value.replace(raw, escaped)
    return value


def desktop_exec(argv: Sequence[str], field_code: str = "") -> str:
    """The value of an ``Exec=`` key that runs ``argv``, then ``field_code`` (e.g. ``%u``)."""
    words = [_exec_arg(a) for a in argv]
    if field_code:
        words.append(field_code)
    return _string_value(" ".join(words))


def desktop_entry(argv: Sequence[str]) -> str:
    """An XDG autostart entry that runs ``argv``."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Softphone for VICIdial agents\n"
        f"Exec={desktop_exec(argv)}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def windows_command_line(argv: Sequence[str]) -> str:
    """The Run value: a command line as Windows parses it."""
    return subprocess.list2cmdline(list(argv))


def launch_agent_plist(argv: Sequence[str], label: str = LAUNCH_AGENT_LABEL) -> bytes:
    """A LaunchAgent that runs ``argv`` once at login."""
    agent = {
        "Label": label,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML)


# ---- the three platforms --------------------------------------------------------------------


def xdg_config_home() -> Path:
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".config"


class _FileAutostart:
    """Launch at login by a file the desktop reads at login (``path``, ``_content``)."""

    @property
    def path(self) -> Path:
        raise NotImplementedError

    def _content(self) -> bytes:
        raise NotImplementedError

    def enabled(self) -> bool:
        return self.path.is_file()

    def enable(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(self._content())
        except OSError as exc:
            raise AutostartError(
                f"Could not turn on launch at login: {self.path} could not be written "
                f"({exc.strerror or exc})."
            ) from None

    def disable(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(
                f"Could not turn off launch at login: remove {self.path} ({exc.strerror or exc})."
            ) from None


class XdgAutostart(_FileAutostart):
    """Linux and other freedesktop.org desktops."""

    def __init__(self, argv: Sequence[str] | None = None, config_home: Path | None = None) -> None:
        self._argv = list(argv or launch_command())
        self._config_home = config_home

    @property
    def path(self) -> Path:
        return (self._config_home or xdg_config_home()) / "autostart" / DESKTOP_FILE

    def _content(self) -> bytes:
        return desktop_entry(self._argv).encode("utf-8")


class Registry(Protocol):
    """The few registry calls the Run key needs (``winreg`` on Windows, a dict in tests)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


class WinRegRunKey:
    """``HKCU\\...\\Run`` through ``winreg`` (Windows only)."""

    def __init__(self) -> None:
        self._winreg: Any = importlib.import_module("winreg")

    def get(self, name: str) -> str | None:
        reg = self._winreg
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = reg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        reg = self._winreg
        with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
            reg.SetValueEx(key, name, 0, reg.REG_SZ, value)

    def delete(self, name: str) -> None:
        reg = self._winreg
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                reg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


class WindowsAutostart:
    def __init__(self, argv: Sequence[str] | None = None, registry: Registry | None = None) -> None:
        self._argv = list(argv or launch_command())
        self._registry = registry

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = WinRegRunKey()
        return self._registry

    def enabled(self) -> bool:
        return self.registry.get(APP_NAME) is not None

    def enable(self) -> None:
        try:
            self.registry.set(APP_NAME, windows_command_line(self._argv))
        except OSError as exc:
            raise AutostartError(f"Could not turn on launch at login: {exc}.") from None

    def disable(self) -> None:
        try:
            self.registry.delete(APP_NAME)
        except OSError as exc:
            raise AutostartError(f"Could not turn off launch at login: {exc}.") from None


class MacLaunchAgent(_FileAutostart):
    def __init__(self, argv: Sequence[str] | None = None, home: Path | None = None) -> None:
        self._argv = list(argv or launch_command())
        self._home = home

    @property
    def path(self) -> Path:
        home = self._home or Path.home()
        return home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"

    def _content(self) -> bytes:
        return launch_agent_plist(self._argv)


def autostart_for(platform: str | None = None) -> Autostart:
    """The implementation for ``platform`` (default: this one)."""
    name = platform or sys.platform
    if name == "win32":
        return WindowsAutostart()
    if name == "darwin":
        return MacLaunchAgent()
    return XdgAutostart()
