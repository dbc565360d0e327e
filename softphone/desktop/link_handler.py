"""Open ``sip:``, ``tel:`` and ``callto:`` links with the app, per platform.

- Linux (and other XDG desktops): ``$XDG_DATA_HOME/applications/vicifast-phone.desktop``
  (``~/.local/share`` when XDG_DATA_HOME is unset or not absolute), which is also the
  application-menu launcher (its Icon the app icon's PNG, by absolute path), and the three
  ``x-scheme-handler/…`` defaults in ``[Default Applications]`` of
  ``$XDG_CONFIG_HOME/mimeapps.list``. That file is edited line by line and replaced atomically:
  it may hold duplicate keys and case-sensitive names, which configparser would not keep.
- Windows: ``HKCU\\Software\\Classes\\{tel,sip,callto}`` as URL protocols opening the app.
- macOS: a URL scheme is declared in an app bundle's Info.plist (packaging/macos/Info.plist).
  Run from the ``.app``, Launch Services opens the links with it (``QFileOpenEvent``s, see
  ``softphone.app.links.OpenedLinks``) and there is nothing to switch; a pip-installed app has no
  bundle and cannot.

``link_handler_for`` picks the platform's implementation; errors are
``LinkHandlerError`` with a message for people.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from softphone.core.errors import VicifastError
from softphone.desktop import assets
from softphone.desktop.assets import DESKTOP_ID
from softphone.desktop.autostart import (
    desktop_exec,
    launch_command,
    windows_command_line,
    xdg_config_home,
)
from softphone.desktop.deployment import app_bundle

APP_TITLE: Final = "VICIfast Desktop"
DESKTOP_ICON_SIZE: Final = 256  # an absolute Icon= path; menus and docks scale it down
SCHEMES: Final = ("tel", "sip", "callto")
MIME_TYPES: Final = tuple(f"x-scheme-handler/{scheme}" for scheme in SCHEMES)
MIMEAPPS_FILE: Final = "mimeapps.list"
DEFAULTS_GROUP: Final = "[Default Applications]"
CLASSES_KEY: Final = r"Software\Classes"
MAC_REASON: Final = (
    "Not available on macOS: links open in an app only when its app bundle declares them, "
    "and this installation of VICIfast Desktop is not an app bundle."
)
MAC_BUNDLE_REASON: Final = (
    "Handled by the app bundle: macOS opens sip:, tel: and callto: links with VICIfast Desktop. "
    "If another app opens one of them, choose VICIfast Desktop as the default in that app."
)


class LinkHandlerError(VicifastError):
    """The app could not be made (or stop being) the links' handler; the message says why."""


class LinkHandler(Protocol):
    @property
    def unavailable_reason(self) -> str | None:
        """Why this platform cannot do it (for people), or None when it can."""
        ...

    def is_registered(self) -> bool:
        """Whether the desktop opens the three kinds of link with this app; never raises."""
        ...

    def register(self) -> None: ...

    def unregister(self) -> None: ...


# ---- the .desktop file (pure) ------------------------------------------------------------------


def handler_entry(argv: Sequence[str], icon: str | None = None) -> str:
    """The ``.desktop`` file: the app-menu launcher that also opens the three kinds of link."""
    icon_line = f"Icon={icon}\n" if icon else ""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_TITLE}\n"
        "Comment=Softphone for VICIdial agents\n"
        f"Exec={desktop_exec(argv, '%u')}\n"
        f"{icon_line}"
        "Terminal=false\n"
        "Categories=Network;Telephony;\n"
        f"MimeType={''.join(f'{m};' for m in MIME_TYPES)}\n"
    )


def xdg_data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".local" / "share"


# ---- mimeapps.list, line by line (pure) -------------------------------------------------------


def _ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _key(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip()


def _entry(key: str, ids: Sequence[str], ending: str) -> str:
    return f"{key}={''.join(f'{i};' for i in ids)}{ending}"


def _is_group(line: str) -> bool:
    return line.strip().startswith("[")


def defaults(text: str) -> dict[str, list[str]]:
    """Every ``[Default Applications]`` key's list; a later line wins, as GLib reads it."""
    found: dict[str, list[str]] = {}
    group = ""
    for line in text.splitlines():
        if _is_group(line):
            group = line.strip()
        elif group == DEFAULTS_GROUP and (key := _key(line)) is not None:
            found[key] = _ids(line.split("=", 1)[1])
    return found


def _ours(group: str, line: str, mime_types: Sequence[str]) -> str | None:
    """The key of ``line`` if it is one of ``mime_types`` in ``[Default Applications]``."""
    key = _key(line) if group == DEFAULTS_GROUP else None
    return key if key is not None and key in mime_types else None


def with_default(text: str, desktop_id: str, mime_types: Sequence[str]) -> str:
    """``text`` with ``desktop_id`` first for each of ``mime_types``; other lines as they were.

    An existing list keeps its other entries after ours, so unregistering gives it back."""
    out: list[str] = []
    seen: set[str] = set()
    group = ""
    groups_seen = 0
    insert_at: int | None = None  # after the first [Default Applications] group's last line
    lines = text.splitlines(keepends=True)
    newline = _ending(lines[0]) if lines and _ending(lines[0]) else "\n"  # the file's own
    for line in lines:
        kept = line
        if _is_group(line):
            group = line.strip()
            groups_seen += group == DEFAULTS_GROUP
        elif (key := _ours(group, line, mime_types)) is not None:
            rest = [i for i in _ids(line.split("=", 1)[1]) if i != desktop_id]
            kept = _entry(key, [desktop_id, *rest], _ending(line) or newline)
            seen.add(key)
        out.append(kept)
        if group == DEFAULTS_GROUP and groups_seen == 1 and kept.strip():
            insert_at = len(out)
    missing = [_entry(m, [desktop_id], newline) for m in mime_types if m not in seen]
    if not missing:
        return "".join(out)
    if insert_at is None:
        if out and not _ending(out[-1]):
            out[-1] += newline
        if out and out[-1].strip():
            out.append(newline)
        out.append(DEFAULTS_GROUP + newline)
        insert_at = len(out)
    elif not _ending(out[insert_at - 1]):
        out[insert_at - 1] += newline
    out[insert_at:insert_at] = missing
    return "".join(out)


def without_default(text: str, desktop_id: str, mime_types: Sequence[str]) -> str:
    """``text`` with ``desktop_id`` taken out of the lists for ``mime_types`` (a line left
    empty goes); another app's default and every other line stay as they were."""
    out: list[str] = []
    group = ""
    for line in text.splitlines(keepends=True):
        if _is_group(line):
            group = line.strip()
        elif (key := _ours(group, line, mime_types)) is not None:
            ids = _ids(line.split("=", 1)[1])
            if desktop_id in ids:
                rest = [i for i in ids if i != desktop_id]
                if rest:
                    out.append(_entry(key, rest, _ending(line)))
                continue
        out.append(line)
    return "".join(out)


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace ``path`` (a symlink's target, keeping its mode) so no reader sees half a file."""
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        mode = target.stat().st_mode & 0o7777
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temp.chmod(mode)
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _read(path: Path) -> str:
    try:  # newline="": a CRLF file is written back as CRLF
        with path.open(encoding="utf-8", errors="surrogateescape", newline="") as file:
            return file.read()
    except FileNotFoundError:
        return ""


# ---- the three platforms ----------------------------------------------------------------------


class XdgLinkHandler:
    """Linux and other freedesktop.org desktops (the Desktop Entry and MIME apps specs)."""

    unavailable_reason: str | None = None

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        data_home: Path | None = None,
        config_home: Path | None = None,
        icon: str | None = None,
    ) -> None:
        self._argv = list(argv or launch_command())
        self._data_home = data_home
        self._config_home = config_home
        self._icon = icon

    @property
    def desktop_path(self) -> Path:
        return (self._data_home or xdg_data_home()) / "applications" / DESKTOP_ID

    @property
    def mimeapps_path(self) -> Path:
        return (self._config_home or xdg_config_home()) / MIMEAPPS_FILE

    def is_registered(self) -> bool:
        try:
            if not self.desktop_path.is_file():
                return False
            found = defaults(_read(self.mimeapps_path))
        except OSError:
            return False
        return all((found.get(m) or [""])[0] == DESKTOP_ID for m in MIME_TYPES)

    def register(self) -> None:
        path = self.desktop_path
        try:
            _write_atomically(path, handler_entry(self._argv, self._icon))
            path = self.mimeapps_path
            text = _read(path)
            updated = with_default(text, DESKTOP_ID, MIME_TYPES)
            if updated != text:
                _write_atomically(path, updated)
        except OSError as exc:
            raise LinkHandlerError(
                f"Could not make {APP_TITLE} open sip:, tel: and callto: links: {path} could "
                f"not be written ({exc.strerror or exc})."
            ) from None

    def unregister(self) -> None:
        path = self.mimeapps_path
        try:
            text = _read(path)
            updated = without_default(text, DESKTOP_ID, MIME_TYPES)
            if updated != text:
                _write_atomically(path, updated)
            path = self.desktop_path
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise LinkHandlerError(
                f"Could not stop {APP_TITLE} opening sip:, tel: and callto: links: {path} could "
                f"not be changed ({exc.strerror or exc})."
            ) from None


class UrlClasses(Protocol):
    """The registry calls a URL protocol needs (``winreg`` on Windows, a dict in tests)."""

    def command(self, scheme: str) -> str | None: ...

    def set_handler(self, scheme: str, description: str, command: str) -> None: ...

    def remove_handler(self, scheme: str) -> None: ...


class WinRegUrlClasses:
    """``HKCU\\Software\\Classes\\<scheme>`` through ``winreg`` (Windows only)."""

    def __init__(self) -> None:
        self._winreg: Any = importlib.import_module("winreg")

    def command(self, scheme: str) -> str | None:
        reg = self._winreg
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, _command_key(scheme)) as key:
                value, _kind = reg.QueryValueEx(key, "")
        except FileNotFoundError:
            return None
        return str(value)

    def set_handler(self, scheme: str, description: str, command: str) -> None:
        reg = self._winreg
        for (path, name), value in url_protocol_values(scheme, description, command).items():
            with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, path, 0, reg.KEY_SET_VALUE) as key:
                reg.SetValueEx(key, name, 0, reg.REG_SZ, value)

    def remove_handler(self, scheme: str) -> None:
        reg = self._winreg
        base = _scheme_key(scheme)
        for sub in (r"\shell\open\command", r"\shell\open", r"\shell", ""):
            try:
                reg.DeleteKey(reg.HKEY_CURRENT_USER, base + sub)
            except FileNotFoundError:
                continue
            except OSError:
                return  # something else lives under it: leave the rest


def _scheme_key(scheme: str) -> str:
    return f"{CLASSES_KEY}\\{scheme}"


def _command_key(scheme: str) -> str:
    return f"{_scheme_key(scheme)}\\shell\\open\\command"


def url_protocol_values(scheme: str, description: str, command: str) -> dict[tuple[str, str], str]:
    """What making ``scheme`` a URL protocol writes under HKCU: (key, value name) → string.
    The Windows installer (packaging/windows/vicifast-phone.iss) writes the same."""
    return {
        (_scheme_key(scheme), ""): description,
        (_scheme_key(scheme), "URL Protocol"): "",
        (_command_key(scheme), ""): command,
    }


class WindowsLinkHandler:
    """Windows: per-user URL protocols. A choice the user made in Windows' Default apps
    (UserChoice) still comes first; Windows does not let an app set that itself."""

    unavailable_reason: str | None = None

    def __init__(
        self, argv: Sequence[str] | None = None, classes: UrlClasses | None = None
    ) -> None:
        self._command = windows_command_line(list(argv or launch_command())) + ' "%1"'
        self._classes = classes

    @property
    def classes(self) -> UrlClasses:
        if self._classes is None:
            self._classes = WinRegUrlClasses()
        return self._classes

    def is_registered(self) -> bool:
        try:
            return all(self.classes.command(s) == self._command for s in SCHEMES)
        except OSError:
            return False

    def register(self) -> None:
        try:
            for scheme in SCHEMES:
                self.classes.set_handler(scheme, f"URL:{scheme} ({APP_TITLE})", self._command)
        except OSError as exc:
            raise LinkHandlerError(
                f"Could not make {APP_TITLE} open sip:, tel: and callto: links: {exc}."
            ) from None

    def unregister(self) -> None:
        try:
            for scheme in SCHEMES:
                if self.classes.command(scheme) == self._command:  # not another app's since
                    self.classes.remove_handler(scheme)
        except OSError as exc:
            raise LinkHandlerError(
                f"Could not stop {APP_TITLE} opening sip:, tel: and callto: links: {exc}."
            ) from None


class UnavailableLinkHandler:
    """A platform where the app cannot make itself the handler; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    @property
    def unavailable_reason(self) -> str | None:
        return self._reason

    def is_registered(self) -> bool:
        return False

    def register(self) -> None:
        raise LinkHandlerError(self._reason)

    def unregister(self) -> None:
        pass  # nothing was ever registered


class BundleLinkHandler:
    """macOS, run from the ``.app``: its Info.plist declares the three schemes, so Launch
    Services opens them with the app and there is nothing to switch. The checkbox shows it on
    and cannot be changed; ``unavailable_reason`` says why."""

    unavailable_reason: str | None = MAC_BUNDLE_REASON

    def is_registered(self) -> bool:
        return True

    def register(self) -> None:
        pass  # the bundle declares them

    def unregister(self) -> None:
        raise LinkHandlerError(MAC_BUNDLE_REASON)


def link_handler_for(
    platform: str | None = None, *, executable: str | None = None, frozen: bool | None = None
) -> LinkHandler:
    """The implementation for ``platform`` (default: this one); on macOS ``executable`` and
    ``frozen`` (default: this process's) say whether it runs from an app bundle."""
    name = platform or sys.platform
    if name == "win32":
        return WindowsLinkHandler()
    if name == "darwin":
        if app_bundle(executable, frozen=frozen, platform=name) is not None:
            return BundleLinkHandler()
        return UnavailableLinkHandler(MAC_REASON)
    return XdgLinkHandler(icon=str(assets.app_icon_png(DESKTOP_ICON_SIZE)))
