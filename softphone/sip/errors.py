"""Errors of the SIP engine about what this build of the SIP library can do here.

VicifastError              softphone.core.errors: base of every error a user can meet
└── EngineError            softphone.core.errors: the SIP engine refused or failed a command
    └── TlsUnavailable     an account asks for SIP over TLS and this platform's SIP library
                           has none (``Capabilities.tls`` is false); nothing was sent

The engine's other errors (``LimitExceeded``, ``UnknownCall``…) stay in ``softphone.core.errors``,
where the core catches them. These are raised on the SIP thread; a caller gets a fresh copy
through the command's ``Future`` and everyone the message through ``CommandFailed``.
"""

from __future__ import annotations

from softphone.core.errors import EngineError


class TlsUnavailable(EngineError):
    """Raised instead of registering an account provisioned with TLS where there is no TLS."""

    @classmethod
    def on(cls, system: str) -> TlsUnavailable:
        """The error for ``system`` ("Windows", "Linux", "macOS")."""
        return cls(
            f"This build of VICIfast Desktop cannot use SIP over TLS on {system} (the SIP library "
            "has no TLS). Ask your administrator to provision UDP or TCP for your account."
        )
