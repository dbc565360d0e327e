"""The real app composition end to end: the emulator over real TLS with its kamailio registrar,
gnome-keyring on a private D-Bus, the real SIP engine with the null audio backend. The person
signs in through the form; the status strip shows Registered and the firewall lease."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from pytestqt.qtbot import QtBot

from softphone.app import App, AppOptions
from softphone.audio.backend import NullBackend
from softphone.core.models import EngineConfig
from softphone.core.session_events import SessionState
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from softphone.signin import SignInConfig
from softphone.storage.keychain import KeychainStore
from tests.support.secret_service import SecretService, available

pytestmark = [
    pytest.mark.integration,
    # keyring's SecretService backend leaves a failed call's D-Bus connection to the GC
    pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*/bus>:ResourceWarning"),
]
BIND = "127.0.0.2"
WAIT = 20_000


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    if not available():
        pytest.fail("dbus-daemon or gnome-keyring-daemon is missing: run scripts/bootstrap.sh test")
    service = SecretService(tmp_path / "secret-service")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in service.env.items():
            patch.setenv(key, value)
        try:
            yield service.start()
        finally:
            service.stop()
            gc.collect()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    state = EmulatorState.from_seed()
    server = EmulatorServer(
        state, port=0, ca_out=tmp_path / "ca.pem", registrar=Registrar(state.sip_users())
    )
    with server:
        yield server


def test_sign_in_through_the_form_registers_and_shows_the_firewall(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, emulator: EmulatorServer
) -> None:
    store = KeychainStore.open(str(uuid.uuid4()), SecretServiceKeyring())
    app = App(
        AppOptions(
            data_dir=tmp_path / "data",
            settings_path=tmp_path / "settings.json",
            store=store,
            device_id="e2e-device",
            signin=SignInConfig(
                control_plane=emulator.url, ca_file=str(emulator.ca_file), bind_address=BIND
            ),
            instance=f"vicifast-e2e-{uuid.uuid4().hex[:8]}",
            engine_config=EngineConfig(bind_address=BIND),
            audio_backend=NullBackend,
            tray=True,
            confirm=lambda parent, text: True,
        )
    )
    qtbot.addWidget(app.window)
    try:
        app.start()
        view, status = app.signin_view, app.window.status
        qtbot.waitUntil(lambda: app.service.session.state is SessionState.SIGNED_OUT, timeout=WAIT)
        assert not app.window.signed_in_view
        view.company.setText("DEMO")
        view.username.setText("agent1")
        view.password.setText("wrong-password")
        view.sign_in_button.click()
        qtbot.waitUntil(lambda: "not correct" in view.message_text, timeout=WAIT)
        assert view.password.text() == ""
        view.password.setText("demo-pass-1")
        view.sign_in_button.click()
        qtbot.waitUntil(lambda: status.registration.text() == "Registered", timeout=WAIT)
        assert app.window.signed_in_view
        assert status.firewall.text().startswith(f"Firewall open for {BIND} until ")
        assert view.password.text() == ""  # the keychain has it, not the widget
        qtbot.waitUntil(lambda: store.get("vicidial.password") is not None, timeout=WAIT)
        settings = (
            (tmp_path / "settings.json").read_text()
            if (tmp_path / "settings.json").exists()
            else ""
        )
        assert "demo-pass-1" not in settings
    finally:
        app.quit()
    assert not app.engine.current.running
