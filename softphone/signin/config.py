"""What the sign-in talks to (:class:`SignInConfig`), apart from ``service`` so that the app's
options and first window can name it without importing the HTTP stack."""

from __future__ import annotations

from dataclasses import dataclass

from softphone.provisioning.defaults import DEFAULT_BASE_URL


@dataclass(frozen=True, slots=True)
class SignInConfig:
    control_plane: str = DEFAULT_BASE_URL
    ca_file: str | None = None  # trusted for a custom control plane (and the emulator)
    bind_address: str = "0.0.0.0"
    # agent --insecure-test-server: plain http to a loopback control plane (testers only)
    insecure_test_server: bool = False
