"""A prompter that never shows its prompt: gnome-keyring's unlock prompt, on a desktop where the
prompter cannot draw (no display, a hung ``gcr-prompter``), as a Secret Service client sees it.

It owns ``org.gnome.keyring.SystemPrompter`` on the given bus and answers every method call
(``BeginPrompting`` first) with an empty reply, and never calls back: gnome-keyring's unlock
``Prompt`` then never sends ``Completed``, and secretstorage's ``unlock()`` waits for it without a
timeout. Run as a process of its own (``python -m tests.support.silent_prompter ADDRESS``) by
:func:`silent_prompter`, stopped by its PID.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.support.process import ManagedProcess

PROMPTER_NAME = "org.gnome.keyring.SystemPrompter"
READY = "silent prompter ready"


def serve(address: str) -> None:
    from jeepney import MessageType, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=address) as conn:
        reply = conn.send_and_get_reply(message_bus.RequestName(PROMPTER_NAME))
        if reply.body != (1,):  # DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
            raise SystemExit(f"could not own {PROMPTER_NAME}: {reply.body}")
        print(READY, flush=True)
        while True:
            message = conn.receive()
            if message.header.message_type is MessageType.method_call:
                conn.send(new_method_return(message))


@contextlib.contextmanager
def silent_prompter(address: str, workdir: Path, timeout: float = 10.0) -> Iterator[None]:
    """The silent prompter on the bus at ``address`` while the block runs."""
    proc = ManagedProcess(
        [sys.executable, "-m", "tests.support.silent_prompter", address],
        log_path=workdir / "silent-prompter.log",
        name="silent-prompter",
        cwd=Path(__file__).resolve().parents[2],
    ).start()
    try:
        proc.wait_for(lambda: READY in proc.log_text(), timeout, "the prompter to own its name")
        yield
    finally:
        proc.stop()


if __name__ == "__main__":
    serve(sys.argv[1])
