"""A private Secret Service: gnome-keyring-daemon on a D-Bus session bus of its own.

Everything lives in temp dirs: HOME and the XDG data/config/cache dirs under ``workdir`` (where
gnome-keyring keeps its encrypted ``login.keyring``), and the runtime dir (bus and control
sockets) in a short temp dir of its own, because a Unix socket path may not exceed ~107 bytes.
The bus has no service directories, so nothing is D-Bus-activated: no second keyring daemon and no
unlock prompter (an unlock prompt is dismissed at once, as when a person dismisses it).

The "login" collection is created and unlocked with a known password (gnome-keyring reads it from
stdin with ``--unlock``); it is the default collection, which keyring's SecretService backend uses.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest
import secretstorage
from jeepney import DBusErrorResponse
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from tests.support.private_bus import start_private_bus
from tests.support.process import ManagedProcess

LOGIN_COLLECTION = "/org/freedesktop/secrets/collection/login"
DEFAULT_PASSWORD = "keyring-unlock-password"


def available() -> bool:
    return all(shutil.which(tool) for tool in ("dbus-daemon", "gnome-keyring-daemon"))


def dead_bus_address(folder: Path) -> str:
    """A bus address whose socket file exists but where nobody listens (a stale session bus)."""
    path = folder / "dead-bus"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
    return f"unix:path={path}"


class SecretService:
    """One private bus (``dbus-daemon``) and one ``gnome-keyring-daemon --components=secrets``."""

    def __init__(self, workdir: Path, password: str = DEFAULT_PASSWORD) -> None:
        self.workdir = workdir
        self.password = password
        self.home = workdir / "home"
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="vfss-"))
        self.bus_socket = self.runtime_dir / "bus"
        self.address = f"unix:path={self.bus_socket}"
        self.bus: ManagedProcess | None = None
        self.daemon: ManagedProcess | None = None
        self._starts = 0
        for folder in (self.home, self.data_home, self.home / ".config", self.home / ".cache"):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.runtime_dir.chmod(0o700)

    @property
    def data_home(self) -> Path:
        return self.home / ".local" / "share"

    @property
    def keyrings_dir(self) -> Path:
        """Where gnome-keyring keeps its (encrypted) collections."""
        return self.data_home / "keyrings"

    @property
    def env(self) -> dict[str, str]:
        """What a client (this process, a child, keyring itself) needs: this bus, temp dirs."""
        return {
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_DATA_HOME": str(self.data_home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
        }

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Self:
        """Start the bus and the keyring daemon; return once "login" exists and is unlocked."""
        self.start_bus(timeout)
        self.start_keyring(timeout)
        return self

    def start_bus(self, timeout: float = 10.0) -> None:
        """Start only the bus (no Secret Service on it until :meth:`start_keyring`)."""
        self.bus = start_private_bus(self.workdir, self.bus_socket, timeout, self.env)

    def start_keyring(self, timeout: float = 10.0) -> None:
        """Start gnome-keyring-daemon, unlocking (creating, the first time) "login"."""
        password_file = self.workdir / "unlock-password"
        password_file.write_text(self.password)
        password_file.chmod(0o600)
        self._starts += 1
        # --unlock reads the password from stdin; exec keeps the daemon's PID the one we stop.
        self.daemon = ManagedProcess(
            [
                "sh",
                "-c",
                'exec gnome-keyring-daemon --foreground --components=secrets --unlock < "$1"',
                "sh",
                str(password_file),
            ],
            log_path=self.workdir / f"gnome-keyring-{self._starts}.log",
            name="gnome-keyring-daemon",
            env=self.env,
        ).start()
        self.daemon.wait_for(self._login_unlocked, timeout, 'the "login" collection, unlocked')

    def stop_keyring(self) -> None:
        if self.daemon is not None:
            self.daemon.stop(timeout=5.0)
            self.daemon = None

    def restart_keyring(self, timeout: float = 10.0) -> None:
        """Stop the daemon and start a new one, which loads "login" from disk and unlocks it."""
        self.stop_keyring()
        self.start_keyring(timeout)

    def stop(self) -> None:
        self.stop_keyring()
        if self.bus is not None:
            self.bus.stop(timeout=5.0)
            self.bus = None
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> str:
        return "\n\n".join(p.describe() for p in (self.bus, self.daemon) if p is not None)

    # ---- inspection and control (through secretstorage, on its own connection) ----------------

    @contextlib.contextmanager
    def connection(self) -> Iterator[DBusConnection]:
        with open_dbus_connection(bus=self.address) as conn:
            yield conn

    def lock_login(self) -> None:
        """Lock the "login" collection, as the screen locker or the user would."""
        with self.connection() as conn:
            collection = secretstorage.Collection(conn, LOGIN_COLLECTION)
            collection.lock()
            assert collection.is_locked()

    def login_locked(self) -> bool:
        with self.connection() as conn:
            return bool(secretstorage.Collection(conn, LOGIN_COLLECTION).is_locked())

    def entries(self, service: str) -> list[dict[str, Any]]:
        """The attributes of every item (any collection, locked or not) with this service."""
        with self.connection() as conn:
            items = secretstorage.search_items(conn, {"service": service})
            return [dict(item.get_attributes()) for item in items]

    def _login_unlocked(self) -> bool:
        try:
            with self.connection() as conn:
                if not secretstorage.check_service_availability(conn):
                    return False
                if secretstorage.Collection(conn, LOGIN_COLLECTION).is_locked():
                    return False
                # The service object can be on the bus before all its methods are: a loaded
                # machine has answered "Method SearchItems is not implemented" to the first test
                # that searched. Ready means a search answers.
                list(secretstorage.search_items(conn, {"vicifast-test": "readiness"}))
                return True
        except (OSError, DBusErrorResponse, secretstorage.exceptions.SecretStorageException):
            return False


def process_env(service: SecretService) -> dict[str, str]:
    """os.environ with the service's variables: for a child process that uses it."""
    return {**os.environ, **service.env}


@contextlib.contextmanager
def serving_this_process(workdir: Path) -> Iterator[SecretService]:
    """A private Secret Service in ``workdir``, started, with this process's environment (HOME,
    XDG dirs, the bus) pointed at it until the block ends; then stopped."""
    if not available():
        pytest.fail("dbus-daemon or gnome-keyring-daemon is missing: run scripts/bootstrap.sh test")
    service = SecretService(workdir)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in service.env.items():
            patch.setenv(key, value)
        try:
            yield service.start()
        finally:
            service.stop()
            gc.collect()  # keyring leaves failed calls' D-Bus connections to the GC
