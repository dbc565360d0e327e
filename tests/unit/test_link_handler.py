"""Opening sip:/tel:/callto: links: the XDG files for real (and, where installed, read back by
xdg-mime and GLib's gio); the Windows registry through a fake; macOS says why it cannot."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from softphone.desktop.autostart import desktop_exec
from softphone.desktop.link_handler import (
    DESKTOP_ID,
    MAC_REASON,
    MIME_TYPES,
    LinkHandlerError,
    UnavailableLinkHandler,
    WindowsLinkHandler,
    XdgLinkHandler,
    defaults,
    handler_entry,
    link_handler_for,
    xdg_data_home,
)

ARGV = ["/opt/Vici Fast/bin/vicifast-phone", "--x=50%"]
OURS = f"{DESKTOP_ID};"
TIMEOUT_S = 20


def entry_keys(text: str) -> dict[str, str]:
    lines = text.splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def handler(tmp_path: Path, argv: list[str] | None = None) -> XdgLinkHandler:
    return XdgLinkHandler(
        argv or ARGV, data_home=tmp_path / "data", config_home=tmp_path / "config"
    )


# ---- the .desktop file -------------------------------------------------------------------------


def test_the_desktop_entry_opens_a_link_with_the_app_and_claims_the_three_schemes() -> None:
    keys = entry_keys(handler_entry(ARGV))
    assert keys["Exec"] == '"/opt/Vici Fast/bin/vicifast-phone" "--x=50%%" %u'
    assert keys["MimeType"] == (
        "x-scheme-handler/tel;x-scheme-handler/sip;x-scheme-handler/callto;"
    )
    assert keys["Type"] == "Application" and keys["Terminal"] == "false"
    assert keys["Categories"] == "Network;Telephony;"
    assert keys["Name"] == "VICIfast Desktop" and keys["Comment"]
    assert "Icon" not in keys  # none given: no broken one in the menu
    assert entry_keys(handler_entry(ARGV, icon="vicifast-phone"))["Icon"] == "vicifast-phone"


def test_exec_quotes_then_escapes_as_the_desktop_entry_spec_says() -> None:
    assert desktop_exec(["/usr/bin/python3", "-m", "softphone.cli"], "%u") == (
        "/usr/bin/python3 -m softphone.cli %u"
    )
    # quoting gives "/a b/c\"d\$e\\f"; the string escapes then double every backslash
    assert desktop_exec(['/a b/c"d$e\\f']) == '"/a b/c\\\\"d\\\\$e\\\\\\\\f"'
    assert desktop_exec(["", "100%"]) == '"" 100%%'


def test_xdg_data_home_falls_back_to_dot_local_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert xdg_data_home() == Path.home() / ".local" / "share"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the spec says: ignore it
    assert xdg_data_home() == Path.home() / ".local" / "share"


# ---- mimeapps.list -----------------------------------------------------------------------------


def test_register_creates_the_files_under_the_xdg_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    links = XdgLinkHandler(ARGV)
    assert links.desktop_path == tmp_path / "data" / "applications" / DESKTOP_ID
    assert links.mimeapps_path == tmp_path / "config" / "mimeapps.list"
    assert not links.is_registered() and not links.mimeapps_path.exists()
    links.register()
    assert links.desktop_path.read_text(encoding="utf-8") == handler_entry(ARGV)
    assert links.mimeapps_path.read_text(encoding="utf-8") == (
        "[Default Applications]\n"
        f"x-scheme-handler/tel={OURS}\n"
        f"x-scheme-handler/sip={OURS}\n"
        f"x-scheme-handler/callto={OURS}\n"
    )
    assert links.is_registered()
    links.register()  # twice changes nothing
    assert defaults(links.mimeapps_path.read_text())["x-scheme-handler/tel"] == [DESKTOP_ID]
    links.unregister()
    assert not links.desktop_path.exists() and not links.is_registered()
    assert links.mimeapps_path.read_text() == "[Default Applications]\n"
    links.unregister()  # idempotent


EXISTING = (
    "# kept as written\r\n"
    "[Added Associations]\r\n"
    "x-scheme-handler/tel=other-dialer.desktop;\r\n"
    "\r\n"
    "[Default Applications]\r\n"
    "text/html=firefox.desktop\r\n"
    "X-Scheme-Handler/Tel=case-matters.desktop;\r\n"
    "x-scheme-handler/sip = linphone.desktop;\r\n"
    "x-scheme-handler/tel=other-dialer.desktop;fallback.desktop;\r\n"
    "x-scheme-handler/sip=linphone.desktop;\r\n"
    "\r\n"
    "[Removed Associations]\r\n"
    "x-scheme-handler/callto=skype.desktop;\r\n"
    "[Default Applications]\r\n"
    "application/pdf=evince.desktop;\r\n"
)


def test_an_existing_file_keeps_every_other_byte_and_gets_its_defaults_back(
    tmp_path: Path,
) -> None:
    links = handler(tmp_path)
    links.mimeapps_path.parent.mkdir(parents=True)
    links.mimeapps_path.write_bytes(EXISTING.encode())
    links.register()
    assert links.is_registered()
    assert links.mimeapps_path.read_bytes().decode() == (
        "# kept as written\r\n"
        "[Added Associations]\r\n"
        "x-scheme-handler/tel=other-dialer.desktop;\r\n"
        "\r\n"
        "[Default Applications]\r\n"
        "text/html=firefox.desktop\r\n"
        "X-Scheme-Handler/Tel=case-matters.desktop;\r\n"
        f"x-scheme-handler/sip={OURS}linphone.desktop;\r\n"
        f"x-scheme-handler/tel={OURS}other-dialer.desktop;fallback.desktop;\r\n"
        f"x-scheme-handler/sip={OURS}linphone.desktop;\r\n"  # every duplicate, so any reader
        f"x-scheme-handler/callto={OURS}\r\n"  # agrees
        "\r\n"
        "[Removed Associations]\r\n"
        "x-scheme-handler/callto=skype.desktop;\r\n"
        "[Default Applications]\r\n"
        "application/pdf=evince.desktop;\r\n"
    )
    links.unregister()
    assert links.mimeapps_path.read_bytes().decode() == EXISTING.replace(
        "sip = linphone", "sip=linphone"
    )


def test_unregister_leaves_a_default_another_app_took_since(tmp_path: Path) -> None:
    links = handler(tmp_path)
    links.register()
    path = links.mimeapps_path
    text = path.read_text()
    text = text.replace(f"tel={OURS}", "tel=other-dialer.desktop;")
    text = text.replace(f"sip={OURS}", f"sip=linphone.desktop;{OURS}")
    path.write_text("[Default Applications]\ntext/html=firefox.desktop;\n" + text)
    assert not links.is_registered()  # the desktop's state, not what we once wrote
    links.unregister()
    assert path.read_text() == (
        "[Default Applications]\ntext/html=firefox.desktop;\n"
        "[Default Applications]\n"
        "x-scheme-handler/tel=other-dialer.desktop;\n"
        "x-scheme-handler/sip=linphone.desktop;\n"
    )
    assert not links.desktop_path.exists()


def test_without_the_desktop_file_it_is_not_registered(tmp_path: Path) -> None:
    links = handler(tmp_path)
    links.register()
    links.desktop_path.unlink()
    assert not links.is_registered()


def test_a_symlinked_mimeapps_list_stays_a_symlink(tmp_path: Path) -> None:
    links = handler(tmp_path)
    dotfiles = tmp_path / "dotfiles" / "mimeapps.list"
    dotfiles.parent.mkdir()
    dotfiles.write_text("[Default Applications]\ntext/html=firefox.desktop;\n")
    dotfiles.chmod(0o600)
    links.mimeapps_path.parent.mkdir(parents=True)
    links.mimeapps_path.symlink_to(dotfiles)
    links.register()
    assert links.mimeapps_path.is_symlink() and links.is_registered()
    assert f"x-scheme-handler/tel={OURS}" in dotfiles.read_text()
    assert dotfiles.stat().st_mode & 0o777 == 0o600


def test_an_unwritable_place_gives_a_clear_error_and_leaves_no_litter(tmp_path: Path) -> None:
    # a file where a directory should be: refused even for root, unlike a chmod
    (tmp_path / "config").write_text("not a directory")
    links = handler(tmp_path)
    with pytest.raises(LinkHandlerError) as caught:
        links.register()
    message = str(caught.value)
    assert "sip:, tel: and callto: links" in message
    assert f"{links.mimeapps_path} could not be written" in message
    assert not links.is_registered()

    links = XdgLinkHandler(ARGV, data_home=tmp_path / "data2", config_home=tmp_path / "cfg")
    links.desktop_path.mkdir(parents=True)  # written, but it cannot replace a directory
    with pytest.raises(LinkHandlerError, match=f"{links.desktop_path} could not be written"):
        links.register()
    assert [p.name for p in links.desktop_path.parent.iterdir()] == [DESKTOP_ID]


# ---- read back by the desktop's own tools ------------------------------------------------------


def tool_env(tmp_path: Path) -> dict[str, str]:
    """Only this test's XDG dirs, no desktop session to ask, and another dialer beside ours
    that claims the same links (and sorts first): the answer is ours only by our default."""
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    apps = tmp_path / "data" / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "a-dialer.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=A dialer\nExec=false %u\n"
        "MimeType=x-scheme-handler/tel;x-scheme-handler/sip;x-scheme-handler/callto;\n"
    )
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LC_ALL": "C",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_DIRS": str(empty),
        "XDG_CONFIG_DIRS": str(empty),
    }


def test_xdg_mime_answers_our_desktop_file(tmp_path: Path) -> None:
    xdg_mime = shutil.which("xdg-mime")
    assert xdg_mime is not None, "xdg-mime is missing: scripts/bootstrap.sh test installs xdg-utils"
    # xdg-mime passes over a desktop file whose program does not exist: a real one here
    handler(tmp_path, [sys.executable, "-m", "softphone.cli"]).register()
    for mime_type in MIME_TYPES:
        answer = subprocess.run(
            [xdg_mime, "query", "default", mime_type],
            env=tool_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=True,
        )
        assert answer.stdout.strip() == DESKTOP_ID, mime_type


def test_glib_opens_a_link_with_our_command(tmp_path: Path) -> None:
    """What a GNOME browser does: GLib picks the default and runs its Exec with the link."""
    gio = shutil.which("gio")
    assert gio is not None, "gio is missing: scripts/bootstrap.sh test installs libglib2.0-bin"
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(TIMEOUT_S)
        port = server.getsockname()[1]
        report = (
            "import socket, sys; "
            f"socket.create_connection(('127.0.0.1', {port})).sendall(repr(sys.argv[1:]).encode())"
        )
        tricky = 'a\\b "q" $HOME 50%'  # every kind of quoting the spec has
        links = handler(tmp_path, [sys.executable, "-c", report, tricky])
        links.register()
        env = tool_env(tmp_path)
        for mime_type in MIME_TYPES:
            answer = subprocess.run(
                [gio, "mime", mime_type], env=env, capture_output=True, text=True, check=True
            )
            first_line = answer.stdout.splitlines()[0]
            assert first_line.endswith(f": {DESKTOP_ID}"), answer.stdout
        subprocess.run([gio, "open", "tel:+1-555-0100"], env=env, check=True, timeout=TIMEOUT_S)
        connection, _address = server.accept()
        with connection:
            connection.settimeout(TIMEOUT_S)
            received = b""
            while chunk := connection.recv(4096):
                received += chunk
    assert received.decode() == repr([tricky, "tel:+1-555-0100"])


# ---- Windows and macOS -------------------------------------------------------------------------


class DictClasses:
    def __init__(self) -> None:
        self.commands: dict[str, str] = {}
        self.descriptions: dict[str, str] = {}

    def command(self, scheme: str) -> str | None:
        return self.commands.get(scheme)

    def set_handler(self, scheme: str, description: str, command: str) -> None:
        self.commands[scheme] = command
        self.descriptions[scheme] = description

    def remove_handler(self, scheme: str) -> None:
        self.commands.pop(scheme, None)


def test_windows_url_protocols_open_the_app_with_the_link() -> None:
    classes = DictClasses()
    links = WindowsLinkHandler([r"C:\Program Files\VICIfast\vicifast.exe"], classes)
    assert not links.is_registered()
    links.register()
    assert links.is_registered()
    command = '"C:\\Program Files\\VICIfast\\vicifast.exe" "%1"'
    assert classes.commands == {"tel": command, "sip": command, "callto": command}
    classes.commands["tel"] = '"C:\\Other\\dialer.exe" "%1"'  # another app took tel: since
    assert not links.is_registered()
    links.unregister()
    assert classes.commands == {"tel": '"C:\\Other\\dialer.exe" "%1"'}


def test_macos_says_why_it_cannot() -> None:
    links = link_handler_for("darwin")
    assert isinstance(links, UnavailableLinkHandler)
    assert links.unavailable_reason == MAC_REASON and "app bundle" in MAC_REASON
    assert not links.is_registered()
    with pytest.raises(LinkHandlerError, match="macOS"):
        links.register()
    links.unregister()


def test_the_launcher_shows_the_app_icon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    links = link_handler_for("linux")
    assert isinstance(links, XdgLinkHandler)
    links.register()
    icon = Path(entry_keys(links.desktop_path.read_text(encoding="utf-8"))["Icon"])
    assert icon.is_absolute() and icon.is_file() and icon.suffix == ".png"


def test_the_platform_picks_its_implementation() -> None:
    assert isinstance(link_handler_for("linux"), XdgLinkHandler)
    assert isinstance(link_handler_for("freebsd14"), XdgLinkHandler)
    assert isinstance(link_handler_for("win32"), WindowsLinkHandler)
    assert link_handler_for("linux").unavailable_reason is None
