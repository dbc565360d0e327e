"""Errors of the server emulator.

VicifastError (softphone.core.errors)
└── EmulatorError          the emulator cannot start or was asked something it cannot do
    ├── SeedError          the seed file is unreadable, malformed or inconsistent
    ├── UnsafeBinding      plain HTTP was asked for on a non-loopback address
    ├── AdminError         the admin API refused a request (unknown agent, bad value, bad token)
    └── RegistrarError     kamailio could not be started or did not answer its RPC socket
"""

from __future__ import annotations

from softphone.core.errors import VicifastError


class EmulatorError(VicifastError):
    pass


class SeedError(EmulatorError):
    pass


class UnsafeBinding(EmulatorError):
    pass


class AdminError(EmulatorError):
    pass


class RegistrarError(EmulatorError):
    pass
