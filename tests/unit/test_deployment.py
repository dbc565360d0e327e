"""Deployment defaults (vicifast-phone.ini): where the file is looked for, what is refused, and
what the headless sign-in and the macOS link handler make of it."""

from __future__ import annotations

import argparse
import codecs
import logging
from pathlib import Path

import pytest

from softphone.cli import command as cli
from softphone.cli.agent_inputs import signin_target
from softphone.desktop.deployment import (
    ENV_VAR,
    FILE_NAME,
    KEYS,
    MAX_BYTES,
    SECTION,
    DeploymentDefaults,
    app_bundle,
    candidate_paths,
    initial_control_plane,
    load_defaults,
    read_defaults,
    system_file,
)
from softphone.desktop.link_handler import (
    MAC_BUNDLE_REASON,
    MAC_REASON,
    BundleLinkHandler,
    LinkHandlerError,
    UnavailableLinkHandler,
    link_handler_for,
)
from softphone.provisioning.qr_errors import QrFormatError
from softphone.provisioning.qr_format import SignInCode

PLANE = "https://control.acme.example"
BUNDLE_EXE = "/Applications/VICIfast Phone.app/Contents/MacOS/vicifast-phone"


def ini(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# ---- where it is looked for ------------------------------------------------------------------


def test_the_environment_variable_is_the_only_place_looked_at(tmp_path: Path) -> None:
    override = tmp_path / "mine.ini"
    paths = candidate_paths(environ={ENV_VAR: str(override)}, frozen=True, platform="linux")
    assert paths == [override]


def test_a_pip_installed_app_reads_only_the_system_file() -> None:
    assert candidate_paths(environ={}, frozen=False, platform="linux") == [
        Path("/etc/vicifast-phone") / FILE_NAME
    ]
    assert candidate_paths(environ={}, frozen=False, platform="darwin") == [
        Path("/Library/Application Support/VICIfast Phone") / FILE_NAME
    ]


def test_a_bundle_looks_next_to_its_program_first(tmp_path: Path) -> None:
    exe = tmp_path / "VICIfast Phone" / "vicifast-phone.exe"
    environ = {"ProgramData": str(tmp_path / "ProgramData")}
    paths = candidate_paths(environ=environ, frozen=True, platform="win32", executable=str(exe))
    assert paths == [
        exe.parent / FILE_NAME,
        tmp_path / "ProgramData" / "VICIfast Phone" / FILE_NAME,
    ]
    assert system_file("win32", environ) == paths[-1]


def test_a_macos_app_bundle_also_looks_in_its_resources() -> None:
    paths = candidate_paths(environ={}, frozen=True, platform="darwin", executable=BUNDLE_EXE)
    contents = Path("/Applications/VICIfast Phone.app/Contents")
    assert paths == [
        contents / "MacOS" / FILE_NAME,
        contents / "Resources" / FILE_NAME,
        Path("/Library/Application Support/VICIfast Phone") / FILE_NAME,
    ]


def test_the_first_file_found_wins(tmp_path: Path) -> None:
    first = tmp_path / "missing.ini"
    second = ini(tmp_path / "second.ini", f"[{SECTION}]\ncompany_code = SECOND\n")
    third = ini(tmp_path / "third.ini", f"[{SECTION}]\ncompany_code = THIRD\n")
    found = load_defaults([first, second, third])
    assert found == DeploymentDefaults(company_code="SECOND", source=second)


def test_no_file_means_no_defaults(tmp_path: Path) -> None:
    assert load_defaults([tmp_path / "none.ini"]) == DeploymentDefaults()


def test_load_defaults_follows_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ini(tmp_path / FILE_NAME, f"[{SECTION}]\ncompany_code = ACME\ncontrol_plane = {PLANE}\n")
    monkeypatch.setenv(ENV_VAR, str(path))
    assert load_defaults() == DeploymentDefaults("ACME", PLANE, "", path)


# ---- what is read and what is refused --------------------------------------------------------


def test_every_key_is_read_and_a_relative_ca_file_is_next_to_the_file(tmp_path: Path) -> None:
    path = ini(
        tmp_path / FILE_NAME,
        "# set by IT\n"
        f"[{SECTION}]\n"
        "Company_Code = acme.eu-1\n"
        f"control_plane = {PLANE}/\n"
        "ca_file = certs/acme-ca.pem\n",
    )
    assert read_defaults(path) == DeploymentDefaults(
        company_code="acme.eu-1",
        control_plane=PLANE,  # as the settings keep it: no trailing slash
        ca_file=str(tmp_path / "certs" / "acme-ca.pem"),
        source=path,
    )
    assert set(KEYS) == {"company_code", "control_plane", "ca_file"}


def test_an_absolute_ca_file_is_kept(tmp_path: Path) -> None:
    ca = tmp_path / "elsewhere" / "ca.pem"
    path = ini(tmp_path / FILE_NAME, f"[{SECTION}]\ncontrol_plane = {PLANE}\nca_file = {ca}\n")
    assert read_defaults(path).ca_file == str(ca)


@pytest.mark.parametrize(
    "code",
    ["ACME", "acme.eu-1", "a_b", "x" * 64, "x" * 65, "ac me", "acme;", "acmé", "a/b", "<b>"],
)
def test_the_company_code_follows_the_sign_in_codes_rule(tmp_path: Path, code: str) -> None:
    try:
        SignInCode(company=code)
        valid = True
    except QrFormatError:
        valid = False
    path = ini(tmp_path / FILE_NAME, f"[{SECTION}]\ncompany_code = {code}\n")
    assert (read_defaults(path).company_code == code) is valid


@pytest.mark.parametrize(
    "url",
    [
        "http://control.acme.example",
        "https://",
        "https://user:pw@control.acme.example",
        "https://control.acme.example/?x=1",
        "https://control.acme.example/#top",
        "https://control.acme.example:99999",
        "https://[::1",
        "https://control acme.example",
        "ftp://control.acme.example",
        "control.acme.example",
    ],
)
def test_a_bad_control_plane_is_ignored_with_a_warning_naming_the_key_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, url: str
) -> None:
    path = ini(
        tmp_path / FILE_NAME,
        f"[{SECTION}]\ncompany_code = ACME\ncontrol_plane = {url}\nca_file = ca.pem\n",
    )
    with caplog.at_level(logging.INFO, logger="softphone.desktop.deployment"):
        found = read_defaults(path)
    assert found == DeploymentDefaults(company_code="ACME", source=path)
    logged = warnings(caplog)
    assert any("control_plane is not valid" in line for line in logged)
    assert any("ca_file ignored without a control_plane" in line for line in logged)
    assert not any(url in line for line in logged)
    assert all("Traceback" not in line for line in caplog.text.splitlines())


def test_a_bad_company_code_is_ignored_and_the_rest_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = ini(tmp_path / FILE_NAME, f"[{SECTION}]\ncompany_code = a b\ncontrol_plane = {PLANE}\n")
    found = read_defaults(path)
    assert found == DeploymentDefaults(control_plane=PLANE, source=path)
    assert warnings(caplog) == [f"deployment defaults: {path}: company_code is not valid; ignored"]


def test_unknown_keys_are_named_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = ini(tmp_path / FILE_NAME, f"[{SECTION}]\ncompany_code = ACME\npassword = hunter2\n")
    assert read_defaults(path).company_code == "ACME"
    (line,) = warnings(caplog)
    assert "unknown keys ignored: password" in line and "hunter2" not in line


def test_empty_values_are_not_set(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = ini(tmp_path / FILE_NAME, f"[{SECTION}]\ncompany_code =\ncontrol_plane = \n")
    assert read_defaults(path) == DeploymentDefaults(source=path)
    assert warnings(caplog) == []


@pytest.mark.parametrize(
    "body",
    [
        "company_code = ACME\n",  # no section header
        "[other]\ncompany_code = ACME\n",
        f"[{SECTION}]\ncompany_code = ACME\ncompany_code = OTHER\n",  # duplicate key
        f"[{SECTION}]\n[{SECTION}]\n",
        "\x00\x01binary",
        "",
    ],
)
def test_a_malformed_file_is_ignored_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    path = ini(tmp_path / FILE_NAME, body)
    assert read_defaults(path) == DeploymentDefaults()
    (line,) = warnings(caplog)
    assert "ignored" in line and "ACME" not in line
    assert caplog.records[-1].exc_info is None


def test_text_that_is_not_utf8_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(f"[{SECTION}]\ncompany_code = ACME\n".encode() + b"\xff\xfe\xfa\n")
    assert read_defaults(path) == DeploymentDefaults()
    assert len(warnings(caplog)) == 1


def test_a_utf16_file_from_a_windows_ini_writer_is_read(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    text = f"[{SECTION}]\r\ncompany_code=ACME\r\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert read_defaults(path).company_code == "ACME"


def test_an_oversized_file_is_not_parsed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = f"[{SECTION}]\ncompany_code = ACME\n"
    path = ini(tmp_path / FILE_NAME, body + "#" * (MAX_BYTES - len(body)) + "\n")
    assert read_defaults(path) == DeploymentDefaults()
    (line,) = warnings(caplog)
    assert "larger than 64 KiB" in line
    exactly = ini(tmp_path / "exact.ini", body + "#" * (MAX_BYTES - len(body) - 1) + "\n")
    assert exactly.stat().st_size == MAX_BYTES
    assert read_defaults(exactly).company_code == "ACME"


def test_an_unreadable_file_is_ignored_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ini(tmp_path / FILE_NAME, f"[{SECTION}]\ncompany_code = ACME\n")
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)  # as root, chmod 0 would not stop the read
    nxt = ini(tmp_path / "next.ini", f"[{SECTION}]\ncompany_code = NEXT\n")
    assert load_defaults([path, nxt]) == DeploymentDefaults()  # found first: nothing else read
    (line,) = warnings(caplog)
    assert "cannot read" in line and "Permission denied" in line
    assert caplog.records[-1].exc_info is None


def test_a_directory_by_that_name_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).mkdir()
    second = ini(tmp_path / "second.ini", f"[{SECTION}]\ncompany_code = ACME\n")
    assert load_defaults([tmp_path / FILE_NAME, second]).company_code == "ACME"


# ---- the sign-in form's control plane ---------------------------------------------------------


def test_a_saved_custom_control_plane_wins_over_the_file() -> None:
    deployed = DeploymentDefaults("ACME", PLANE, "/etc/ca.pem")
    assert initial_control_plane("https://mine.example", "", deployed, "https://vicifast.com") == (
        True,
        "https://mine.example",
        "",
    )
    assert initial_control_plane("", "", deployed, "https://vicifast.com") == (
        True,
        PLANE,
        "/etc/ca.pem",
    )
    default = DeploymentDefaults(control_plane="https://vicifast.com")
    assert initial_control_plane("", "", default, "https://vicifast.com/") == (False, "", "")
    assert initial_control_plane("", "", DeploymentDefaults(), "https://vicifast.com") == (
        False,
        "",
        "",
    )


# ---- the headless sign-in ---------------------------------------------------------------------


def agent_args(*flags: str) -> argparse.Namespace:
    return cli._parser().parse_args(["agent", "--signin", *flags])


def test_the_headless_sign_in_takes_the_file_when_no_flag_is_given() -> None:
    deployed = DeploymentDefaults("ACME", PLANE, "/etc/acme-ca.pem")
    args = agent_args("--username", "bob")
    assert signin_target(args, deployed) == ("ACME", PLANE, "/etc/acme-ca.pem")
    # no --username: resume the saved sign-in (at the file's control plane)
    assert signin_target(agent_args(), deployed) == ("", PLANE, "/etc/acme-ca.pem")


def test_the_flags_win_over_the_file() -> None:
    deployed = DeploymentDefaults("ACME", PLANE, "/etc/acme-ca.pem")
    args = agent_args("--company", "OTHER", "--username", "bob", "--control-plane", "https://x.io")
    assert signin_target(args, deployed) == ("OTHER", "https://x.io", "")
    args = agent_args("--username", "bob", "--ca-file", "/tmp/mine.pem")
    assert signin_target(args, deployed) == ("ACME", PLANE, "/tmp/mine.pem")


def test_without_a_file_the_headless_sign_in_is_as_before() -> None:
    args = agent_args("--username", "bob")
    assert signin_target(args, DeploymentDefaults()) == ("", "https://vicifast.com", "")


# ---- macOS: the app bundle --------------------------------------------------------------------


def test_only_a_frozen_program_inside_an_app_bundle_on_macos_is_a_bundle() -> None:
    bundle = Path("/Applications/VICIfast Phone.app")
    assert app_bundle(BUNDLE_EXE, frozen=True, platform="darwin") == bundle
    assert app_bundle(BUNDLE_EXE, frozen=False, platform="darwin") is None  # pip in an odd place
    assert app_bundle(BUNDLE_EXE, frozen=True, platform="linux") is None
    assert app_bundle("/usr/local/bin/vicifast-phone", frozen=True, platform="darwin") is None
    assert (
        app_bundle("/opt/x/Contents/MacOS/vicifast-phone", frozen=True, platform="darwin") is None
    )
    assert app_bundle(None, platform="darwin") is None  # these tests do not run frozen


def test_from_the_bundle_macos_opens_links_with_nothing_to_switch() -> None:
    links = link_handler_for("darwin", executable=BUNDLE_EXE, frozen=True)
    assert isinstance(links, BundleLinkHandler)
    assert links.is_registered()
    assert links.unavailable_reason == MAC_BUNDLE_REASON and "app bundle" in MAC_BUNDLE_REASON
    links.register()  # nothing to do
    with pytest.raises(LinkHandlerError, match="app bundle"):
        links.unregister()
    outside = link_handler_for("darwin", executable=BUNDLE_EXE, frozen=False)
    assert isinstance(outside, UnavailableLinkHandler)
    assert outside.unavailable_reason == MAC_REASON
