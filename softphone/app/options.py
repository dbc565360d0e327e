"""What the app is made with: :class:`AppOptions` (where it keeps things, what it talks to) and
:func:`options_for`, the options of a real start or of ``--demo``. Tests build their own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from softphone.core.models import EngineConfig, SipAccountConfig
from softphone.core.secret import MemorySecretStore, SecretStore
from softphone.desktop.deployment import DeploymentDefaults, load_defaults
from softphone.signin.config import SignInConfig
from softphone.storage.settings import AppSettings
from softphone.ui.single_instance import instance_name

if TYPE_CHECKING:
    from softphone.audio.backend import AudioBackend
    from softphone.core.engine import SipEngineApi
    from softphone.demo.environment import DemoEnvironment
    from softphone.sip.engine import SipEngine

HOST = "127.0.0.1"

EngineFactory = Callable[..., "SipEngineApi"]
AccountAdapter = Callable[[SipAccountConfig], SipAccountConfig]
QUIT_TIMEOUT_S = 10.0  # quitting's whole bound: then the process ends, whatever still hangs


class FirstUseEngine:
    """A :class:`SipEngine` made, and ``softphone.sip`` (with pjsua2) imported, on first use:
    that is its ``start`` on the engine-start thread, so the window is up meanwhile. Otherwise
    the engine itself: every attribute is the real engine's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args = args
        self._kwargs = kwargs
        self._engine: SipEngine | None = None
        self._lock = threading.Lock()

    def _real(self) -> SipEngine:
        with self._lock:
            if self._engine is None:
                from softphone.sip.engine import SipEngine

                self._engine = SipEngine(*self._args, **self._kwargs)
            return self._engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)


def _default_audio_backend() -> AudioBackend:
    from softphone.audio.backend import default_backend  # the audio stack, once the app is built

    return default_backend()


def _qt_audio_backend() -> AudioBackend:
    from softphone.ui.qt_audio.backend import QtAudioBackend  # loads Qt Multimedia when chosen

    return QtAudioBackend()


@dataclass(slots=True)
class AppOptions:
    """Where the app keeps things and what it talks to (tests and ``--demo`` change these)."""

    data_dir: Path
    settings_path: Path
    store: SecretStore
    device_id: str
    signin: SignInConfig  # the control plane when the form's Advanced part is not used
    instance: str
    engine_config: EngineConfig = field(default_factory=EngineConfig)
    engine_factory: EngineFactory = FirstUseEngine
    audio_backend: Callable[[], AudioBackend] = _default_audio_backend
    qt_audio_backend: Callable[[], AudioBackend] = _qt_audio_backend  # Settings' "Qt Multimedia"
    tray: bool | None = None  # None: when the desktop has a tray
    persist_control_plane: bool = True  # not in demo mode: the emulator is not a choice
    demo_login: tuple[str, str, str] | None = None  # company, username, password
    confirm: Callable[[QWidget, str], bool] | None = None  # default: a Yes/No box
    log_dir: Path | None = None  # the SIP trace and diagnostics; None: the platformdirs log dir
    adapt_account: AccountAdapter | None = None  # demo without kamailio: no REGISTER
    demo_env: DemoEnvironment | None = None  # --demo: the lines that can ring the agent
    # what IT preset for the sign-in form (vicifast-phone.ini); what the person saved wins
    deployment: DeploymentDefaults = field(default_factory=DeploymentDefaults)
    quit_timeout_s: float = QUIT_TIMEOUT_S
    # make the sign-in service on a thread, begun as the app is built (the window is up
    # meanwhile), instead of in App(): a real start's and --demo's; tests that use
    # ``app.service`` at once do not
    service_after_show: bool = False


def options_for(demo_dir: Path | None) -> tuple[AppOptions, DemoEnvironment | None]:
    """A real start's options (the keychain, the saved control plane, IT's deployment file), or
    with ``demo_dir`` demo mode's, with the demo environment it started there."""
    if demo_dir is not None:
        from softphone.demo.environment import start_demo_environment

        env = start_demo_environment(demo_dir)  # kamailio when installed, else direct mode
        creds = env.credentials
        options = AppOptions(
            data_dir=demo_dir / "data",
            settings_path=demo_dir / "settings.json",
            store=MemorySecretStore(),  # the demo login stays out of the real keychain
            device_id="demo-device",
            signin=SignInConfig(
                control_plane=env.control_plane, ca_file=str(env.ca_file), bind_address=HOST
            ),
            instance=instance_name(),  # a later start's links come here, demo or not
            engine_config=EngineConfig(bind_address=HOST),
            persist_control_plane=False,
            demo_login=(creds.company, creds.username, creds.password.reveal()),
            log_dir=demo_dir / "logs",
            adapt_account=env.account_for if env.direct else None,
            demo_env=env,
            service_after_show=True,
        )
        return options, env
    from softphone.provisioning.defaults import DEFAULT_BASE_URL
    from softphone.signin.service import default_state_dir, load_install_ids
    from softphone.storage.keychain import KeychainStore
    from softphone.storage.settings import default_path

    ids = load_install_ids()
    settings = AppSettings.load()
    options = AppOptions(
        data_dir=default_state_dir(),
        settings_path=default_path(),
        store=KeychainStore.open(ids.install_id),
        device_id=ids.device_id,
        signin=SignInConfig(
            control_plane=settings.custom_control_plane or DEFAULT_BASE_URL,
            ca_file=settings.ca_file or None,
        ),
        instance=instance_name(),
        deployment=load_defaults(),
        service_after_show=True,
    )
    return options, None
