"""Deployment defaults: the company code and control plane an IT department sets for every agent.

A file ``vicifast-phone.ini`` (docs/deployment.md)::

    [defaults]
    company_code = ACME
    control_plane = https://control.acme.example
    ca_file = acme-ca.pem

Only the first of these that exists is read:

1. ``$VICIFAST_DEPLOYMENT_FILE`` when set (then nothing else is looked at; tests use it);
2. next to the installed program, in a bundle: the executable's folder and, in a macOS ``.app``,
   its ``Contents/Resources``;
3. the system-wide file: ``/etc/vicifast-phone/`` (Linux), ``/Library/Application Support/
   VICIfast Phone/`` (macOS), ``%ProgramData%\\VICIfast Phone\\`` (Windows).

The file is not trusted. Above 64 KiB, unreadable or not an INI file with a ``[defaults]``
section: ignored, with one warning. A value that fails the check the app itself applies (the
company-code rule of sign-in codes, :func:`~softphone.core.hosts.check_control_plane`):
that key is ignored, with a warning naming the key, never the value. A relative ``ca_file`` is
relative to the file's folder; it applies only with a ``control_plane``.

What is saved wins: the app fills the sign-in form from these only where the person has nothing
saved. Qt-free; the standard library and ``softphone.core`` only.
"""

from __future__ import annotations

import codecs
import configparser
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from softphone.core.errors import ConfigError
from softphone.core.hosts import check_control_plane

_log = logging.getLogger(__name__)

FILE_NAME: Final = "vicifast-phone.ini"
SECTION: Final = "defaults"
KEYS: Final = ("company_code", "control_plane", "ca_file")
ENV_VAR: Final = "VICIFAST_DEPLOYMENT_FILE"
MAX_BYTES: Final = 64 * 1024
APP_FOLDER: Final = "VICIfast Phone"  # the system-wide folder on macOS and Windows
# The rule of sign-in QR codes (softphone.provisioning.qr_format.SignInCode), the one place the
# app checks a company code it did not get from the person typing it.
COMPANY_CODE: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MAX_TEXT: Final = 1024


@dataclass(frozen=True, slots=True)
class DeploymentDefaults:
    """Checked values ("" when not set); ``source`` is the file they came from."""

    company_code: str = ""
    control_plane: str = ""
    ca_file: str = ""
    source: Path | None = None


# ---- where the file is ----------------------------------------------------------------------


def app_bundle(
    executable: str | None = None, *, frozen: bool | None = None, platform: str | None = None
) -> Path | None:
    """The macOS ``.app`` this program runs from (a bundle's ``Contents/MacOS/<exe>``), or None:
    not macOS, not frozen (a pip-installed app has no bundle), or not inside one."""
    if (platform or sys.platform) != "darwin":
        return None
    if not (getattr(sys, "frozen", False) if frozen is None else frozen):
        return None
    exe = Path(executable or sys.executable)
    contents = exe.parent.parent
    if exe.parent.name != "MacOS" or contents.name != "Contents":
        return None
    bundle = contents.parent
    return bundle if bundle.suffix == ".app" else None


def system_file(platform: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The system-wide file of ``platform`` (default: this one)."""
    name = platform or sys.platform
    env = os.environ if environ is None else environ
    if name == "win32":
        return Path(env.get("ProgramData") or r"C:\ProgramData") / APP_FOLDER / FILE_NAME
    if name == "darwin":
        return Path("/Library/Application Support") / APP_FOLDER / FILE_NAME
    return Path("/etc/vicifast-phone") / FILE_NAME


def candidate_paths(
    *,
    platform: str | None = None,
    environ: Mapping[str, str] | None = None,
    executable: str | None = None,
    frozen: bool | None = None,
) -> list[Path]:
    """Where the file is looked for, in order (see the module docstring)."""
    env = os.environ if environ is None else environ
    override = env.get(ENV_VAR, "")
    if override:
        return [Path(override)]
    paths: list[Path] = []
    if getattr(sys, "frozen", False) if frozen is None else frozen:
        exe = Path(executable or sys.executable)
        paths.append(exe.parent / FILE_NAME)
        if app_bundle(str(exe), frozen=True, platform=platform) is not None:
            paths.append(exe.parent.parent / "Resources" / FILE_NAME)
    paths.append(system_file(platform, env))
    return paths


# ---- reading it -----------------------------------------------------------------------------


def load_defaults(paths: list[Path] | None = None) -> DeploymentDefaults:
    """The defaults from the first file of ``paths`` (default: :func:`candidate_paths`) that
    exists; empty when there is none or it is refused. Never raises."""
    for path in candidate_paths() if paths is None else paths:
        try:
            found = path.is_file()
        except OSError:
            found = False
        if found:
            return read_defaults(path)
    return DeploymentDefaults()


def read_defaults(path: Path) -> DeploymentDefaults:
    """The checked defaults of one file; empty (and one warning) when the file is refused."""
    text = _read(path)
    if text is None:
        return DeploymentDefaults()
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error:
        parser = configparser.ConfigParser()  # nothing from a file that does not parse
    if not parser.has_section(SECTION):
        _log.warning(
            "deployment defaults: %s is not a valid INI file with a [%s] section; ignored",
            path,
            SECTION,
        )
        return DeploymentDefaults()
    values = dict(parser.items(SECTION))
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        _log.warning("deployment defaults: %s: unknown keys ignored: %s", path, ", ".join(unknown))
    company = _checked(path, "company_code", values.get("company_code", ""), _company)
    plane = _checked(path, "control_plane", values.get("control_plane", ""), _control_plane)
    ca = values.get("ca_file", "").strip()
    if ca and not plane:
        _log.warning("deployment defaults: %s: ca_file ignored without a control_plane", path)
        ca = ""
    ca = _checked(path, "ca_file", ca, lambda value: _ca_file(value, path.parent))
    _log.info("deployment defaults read from %s", path)
    return DeploymentDefaults(company, plane, ca, path)


def _read(path: Path) -> str | None:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        _log.warning("deployment defaults: cannot read %s (%s); ignored", path, exc.strerror or exc)
        return None
    if len(data) > MAX_BYTES:
        _log.warning(
            "deployment defaults: %s is larger than %d KiB; ignored", path, MAX_BYTES // 1024
        )
        return None
    # Windows' own INI writer (an installer's) may write UTF-16 with a byte order mark.
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError:
        _log.warning("deployment defaults: %s is not UTF-8 text; ignored", path)
        return None


def _checked(path: Path, key: str, value: str, check: Callable[[str], str]) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return check(value)
    except (ConfigError, ValueError):
        _log.warning("deployment defaults: %s: %s is not valid; ignored", path, key)
        return ""


def _company(value: str) -> str:
    if not COMPANY_CODE.fullmatch(value):
        raise ValueError("not a company code")
    return value


def _control_plane(value: str) -> str:
    if len(value) > _MAX_TEXT or not value.isprintable() or any(c.isspace() for c in value):
        raise ValueError("not an address")
    checked = check_control_plane(value)
    _ = urlsplit(checked).port  # a port out of range raises ValueError
    return checked


def _ca_file(value: str, folder: Path) -> str:
    if len(value) > _MAX_TEXT or not value.isprintable():
        raise ValueError("not a path")
    path = Path(value)
    return str(path if path.is_absolute() else folder / path)


# ---- what the sign-in form starts with ------------------------------------------------------


def initial_control_plane(
    saved_url: str, saved_ca: str, defaults: DeploymentDefaults, default_url: str
) -> tuple[bool, str, str]:
    """(custom?, URL, CA file) for the form's Advanced part: the saved custom control plane,
    else the deployment's when it is not the default one, else the default."""
    if saved_url:
        return True, saved_url, saved_ca
    url = defaults.control_plane
    if url and url.rstrip("/") != default_url.rstrip("/"):
        return True, url, defaults.ca_file
    return False, "", saved_ca
