"""Errors of the storage layer.

VicifastError (softphone.core.errors)
└── KeychainError             the OS keychain could not do what was asked; nothing went to a file
    ├── KeychainUnavailable   no secure keychain here (missing, insecure, or its service is not
    │                         running); the message says what to install for this platform
    ├── KeychainLocked        the keychain is locked or its unlock prompt was dismissed; nothing
    │                         was lost, the message says what to unlock
    └── KeychainFailure       any other keychain error, its text scrubbed of the secret involved

Every message is written for the person using the app. None contains a secret: the store builds
them from the backend's error *type* and a scrubbed text, and raises them without chaining the
original exception (whose arguments or frames might hold a password).
"""

from __future__ import annotations

import sys

from softphone.core.errors import VicifastError

_INSTALL_HINTS = {
    "linux": (
        "Install a Secret Service keychain: GNOME Keyring (package gnome-keyring) or KWallet "
        "with its Secret Service enabled, make sure it runs in your desktop session, then start "
        "VICIfast again."
    ),
    "darwin": (
        "VICIfast uses the macOS Keychain: open Keychain Access, check that your login keychain "
        "exists and is unlocked, then start VICIfast again."
    ),
    "win32": (
        "VICIfast uses Windows Credential Manager: make sure the Credential Manager service "
        "(VaultSvc) is running, then start VICIfast again."
    ),
}
_OTHER_HINT = (
    "Install a keychain that the Python 'keyring' library supports securely (a Secret Service "
    "such as GNOME Keyring or KWallet, the macOS Keychain, or Windows Credential Manager)."
)

_UNLOCK_HINTS = {
    "linux": (
        "Unlock your login keyring (GNOME Keyring or KWallet, for example in 'Passwords and "
        "Keys') and try again."
    ),
    "darwin": "Unlock your login keychain in Keychain Access and try again.",
    "win32": "Sign in to Windows again to unlock Credential Manager, then try again.",
}
_OTHER_UNLOCK_HINT = "Unlock your keychain and try again."


def install_hint(platform: str | None = None) -> str:
    """What to install or start so that a secure keychain exists on `platform` (sys.platform)."""
    return _INSTALL_HINTS.get(_family(platform), _OTHER_HINT)


def unlock_hint(platform: str | None = None) -> str:
    """How to unlock the keychain on `platform` (sys.platform)."""
    return _UNLOCK_HINTS.get(_family(platform), _OTHER_UNLOCK_HINT)


def _family(platform: str | None) -> str:
    name = sys.platform if platform is None else platform
    return "linux" if name.startswith(("linux", "freebsd", "openbsd")) else name


class KeychainError(VicifastError):
    """The OS keychain could not do what was asked."""


class KeychainUnavailable(KeychainError):
    """No secure keychain: VICIfast refuses to keep passwords anywhere else."""

    @classmethod
    def because(cls, reason: str, platform: str | None = None) -> KeychainUnavailable:
        return cls(
            "VICIfast keeps your passwords only in your system's keychain, and it cannot use "
            f"one here: {reason}. {install_hint(platform)}"
        )


class KeychainLocked(KeychainError):
    """The keychain is locked (or the person dismissed its unlock prompt)."""

    @classmethod
    def because(cls, reason: str, platform: str | None = None) -> KeychainLocked:
        return cls(
            f"Your keychain is locked ({reason}). Nothing was changed. {unlock_hint(platform)}"
        )


class KeychainFailure(KeychainError):
    """Any other keychain error; the message names the error type and its scrubbed text."""

    @classmethod
    def during(cls, action: str, detail: str) -> KeychainFailure:
        return cls(
            f"The keychain could not {action} ({detail}). Nothing was written anywhere else. "
            "Try again; if it keeps failing, restart your keychain service or your session."
        )
