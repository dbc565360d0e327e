"""Where the app signs in when nobody said otherwise: the VICIfast control plane. Apart from
``client`` so that what only needs the address (the sign-in's settings, the window's first
screen) does not import the HTTP stack."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://vicifast.com"
