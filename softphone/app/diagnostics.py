"""The diagnostics zip as the app makes it: what it must not contain (the saved sign-in's
password and the SIP account's secrets, read from the keychain when the Settings page exports
it) and how the run's recent calls sounded (``core.quality_log``, fed by the event bus)."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path

from softphone.core.bus import EventBus
from softphone.core.quality_log import CallQualityLog
from softphone.core.secret import SecretStore
from softphone.core.session_store import KEY_PASSWORD, KEY_SIP
from softphone.ui.diagnostics import Diagnostics

_log = logging.getLogger(__name__)


def app_diagnostics(log_dir: Path | None, store: SecretStore, bus: EventBus) -> Diagnostics:
    """The Settings page's diagnostics export, with the quality of the calls from now on (GUI
    thread: the bus's)."""
    calls = CallQualityLog()
    calls.attach(bus.subscribe)
    return Diagnostics(log_dir, secrets=partial(diagnostic_secrets, store), calls=calls.entries)


def diagnostic_secrets(store: SecretStore) -> list[str]:
    """Values the diagnostics zip must not contain (read on the export's worker thread)."""
    found: list[str] = []
    for key in (KEY_PASSWORD, KEY_SIP):
        try:
            value = store.get(key)
        except Exception as err:  # locked keychain: the zip's own scrubbing still applies
            _log.warning("the keychain could not be read for the diagnostics: %s", err)
            continue
        if value is None:
            continue
        text = value.reveal()
        found.append(text)
        if key == KEY_SIP:
            found.extend(_json_passwords(text))
    return found


def _json_passwords(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    value = data.get("password") if isinstance(data, dict) else None
    return [value] if isinstance(value, str) and value else []
