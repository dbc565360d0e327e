"""Settings → Appearance and start-up → "Open sip:, tel: and callto: links with VICIfast
Desktop", switched on and then off in the Settings page, on a desktop where another dialer was
the default: switching it off gives the desktop its previous defaults back, as GLib's `gio` and
`xdg-mime` read them, and leaves mimeapps.list as it was. The page uses this platform's link
handler (the XDG one), pointed by the environment at this test's private XDG folders
(tests/ui/conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from softphone.audio.backend import NullBackend
from softphone.audio.controller import AudioController
from softphone.audio.ring import AudioRings
from softphone.desktop.assets import DESKTOP_ID
from softphone.desktop.autostart import XdgAutostart
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.diagnostics import Diagnostics
from softphone.ui.settings.view import SettingsView

TIMEOUT_S = 20
BEFORE = (
    "# the user's own file\n"
    "[Default Applications]\n"
    "text/html=firefox.desktop;\n"
    "x-scheme-handler/tel=other-dialer.desktop;\n"
    "x-scheme-handler/sip=linphone.desktop;\n"
    "\n"
    "[Added Associations]\n"
    "x-scheme-handler/callto=other-dialer.desktop;\n"
)
OTHER_APPS = {
    "other-dialer.desktop": "x-scheme-handler/tel;x-scheme-handler/callto;",
    "linphone.desktop": "x-scheme-handler/sip;",
}


@pytest.fixture
def desktop(tmp_path: Path) -> dict[str, Path]:
    """The private XDG homes with two other dialers installed and their defaults set."""
    data, config = Path(os.environ["XDG_DATA_HOME"]), Path(os.environ["XDG_CONFIG_HOME"])
    apps = data / "applications"
    apps.mkdir(parents=True)
    for desktop_id, mime_types in OTHER_APPS.items():
        (apps / desktop_id).write_text(
            f"[Desktop Entry]\nType=Application\nName={desktop_id}\nExec=true %u\n"
            f"MimeType={mime_types}\n"
        )
    config.mkdir(parents=True)
    (config / "mimeapps.list").write_text(BEFORE)
    empty = tmp_path / "empty"
    empty.mkdir()
    return {"data": data, "config": config, "empty": empty, "work": tmp_path}


@pytest.fixture
def audio() -> Iterator[AudioController]:
    controller = AudioController(NullBackend(), AudioRings.create(), lambda event: None)
    yield controller
    controller.close()


def default_by_gio(mime_type: str, desktop: dict[str, Path]) -> str:
    """The default application GLib (a GNOME browser) uses for ``mime_type``."""
    gio = shutil.which("gio")
    assert gio is not None, "gio is missing: scripts/bootstrap.sh test installs libglib2.0-bin"
    answer = subprocess.run(
        [gio, "mime", mime_type],
        env=tool_env(desktop),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    first = answer.stdout.splitlines()[0]  # Default application for "…": ID
    return first.rsplit(": ", 1)[1] if first.startswith("Default application") else ""


def default_by_xdg_mime(mime_type: str, desktop: dict[str, Path]) -> str:
    xdg_mime = shutil.which("xdg-mime")
    assert xdg_mime is not None, "xdg-mime is missing: scripts/bootstrap.sh test installs xdg-utils"
    answer = subprocess.run(
        [xdg_mime, "query", "default", mime_type],
        env=tool_env(desktop),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    return answer.stdout.strip()


def tool_env(desktop: dict[str, Path]) -> dict[str, str]:
    """Only this test's XDG folders and no desktop session to ask."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(desktop["work"]),
        "LC_ALL": "C",
        "XDG_DATA_HOME": str(desktop["data"]),
        "XDG_CONFIG_HOME": str(desktop["config"]),
        "XDG_DATA_DIRS": str(desktop["empty"]),
        "XDG_CONFIG_DIRS": str(desktop["empty"]),
    }


def test_switching_link_handling_off_gives_back_the_previous_defaults(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, desktop: dict[str, Path]
) -> None:
    work = desktop["work"]
    view = SettingsView(
        audio,
        AppSettings(),
        bridge,
        settings_path=work / "settings.json",
        autostart=XdgAutostart(["vicifast-phone"], config_home=work / "autostart"),
        diagnostics=Diagnostics(work / "logs", lambda: ()),
    )  # the link handler: this platform's, as in the app
    qtbot.addWidget(view)
    mimeapps = desktop["config"] / "mimeapps.list"
    ours = desktop["data"] / "applications" / DESKTOP_ID
    assert default_by_gio("x-scheme-handler/tel", desktop) == "other-dialer.desktop"
    assert view.open_links.isEnabled() and not view.open_links.isChecked()

    view.open_links.click()
    assert view.open_links.isChecked() and ours.is_file()
    for mime_type in ("x-scheme-handler/tel", "x-scheme-handler/sip", "x-scheme-handler/callto"):
        assert default_by_gio(mime_type, desktop) == DESKTOP_ID, mime_type
    assert default_by_xdg_mime("x-scheme-handler/tel", desktop) == DESKTOP_ID

    view.open_links.click()
    assert not view.open_links.isChecked() and view.links_error.isHidden()
    assert mimeapps.read_text() == BEFORE  # every line as the user had it
    assert not ours.exists()
    assert default_by_gio("x-scheme-handler/tel", desktop) == "other-dialer.desktop"
    assert default_by_gio("x-scheme-handler/sip", desktop) == "linphone.desktop"
    assert default_by_xdg_mime("x-scheme-handler/tel", desktop) == "other-dialer.desktop"
    assert default_by_xdg_mime("x-scheme-handler/sip", desktop) == "linphone.desktop"
    assert not (work / "settings.json").exists()  # the desktop holds this state, not our settings
