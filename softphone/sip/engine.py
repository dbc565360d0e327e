"""The SIP engine: one dedicated thread owns pjsua2; commands reach it through a queue.

Public methods are thread-safe and return a ``concurrent.futures.Future``. Events are emitted on
the SIP thread through the ``emit`` callable given to the constructor; the caller moves them to
its own thread (the Qt bridge, or the headless agent's queue).
"""

from __future__ import annotations

# The socket module's C core: ``socket`` itself costs the agent's start noticeably more to
# import (its enums, selectors), for nothing used here.
import _socket
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from softphone.core import events as ev
from softphone.core.errors import EngineError, EngineNotRunning, VicifastError
from softphone.core.models import (
    AutoAnswerPolicy,
    DtmfMethod,
    EngineConfig,
    EngineSnapshot,
    Ringtone,
    SipAccountConfig,
)
from softphone.sip.pjerror import pj_message
from softphone.sip.stack import SipStack

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from softphone.audio.ring import AudioRings

    T = TypeVar("T")

_log = logging.getLogger(__name__)
_WAKE = b"\r\n\r\n"


def _clean_error(command: str, err: BaseException) -> VicifastError:
    """A fresh error without traceback or context.

    A traceback keeps its frames' locals alive, pjsua2 objects among them; one that outlives its
    call (or reaches interpreter exit) crashes the process. Only the message crosses threads.
    """
    if isinstance(err, VicifastError):
        fresh: VicifastError = type(err)(str(err))
    else:
        fresh = EngineError(f"{command} failed: {pj_message(err)}")
    fresh.__traceback__ = None
    return fresh


class SipEngine:
    """Owns pjsua2 on its own thread. Emits on the SIP thread."""

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        config: EngineConfig | None = None,
        audio: AudioRings | None = None,
    ) -> None:
        """``audio``: the rings a sound-device stream serves; without them calls play into
        pjsua2's null device (headless runs, tests)."""
        self._emit = emit
        self._audio = audio
        self._outbox: list[ev.Event] = []
        self._config = config or EngineConfig()
        self._queue: queue.SimpleQueue[tuple[str, str, Callable[[SipStack], Any], Future[Any]]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._running = False
        self._stopping = False
        self._wake_sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        self._wake_addr: tuple[str, int] | None = None
        self._start_error: BaseException | None = None
        self._capabilities: ev.Capabilities | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the SIP thread and wait until pjsua2 is up; raises EngineError on failure."""
        if self._thread is not None:
            raise EngineError("The SIP engine is already running.")
        self._thread = threading.Thread(target=self._run, name="sip", daemon=False)
        self._thread.start()
        if not self._started.wait(timeout_s):
            raise EngineError("The SIP engine did not start in time.")
        if self._start_error is not None:
            self._thread.join(timeout_s)
            raise _clean_error("start", self._start_error)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Hang up, unregister, destroy pjsua2 and join the thread. Safe to call twice."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stopping = True
        self._wake()
        thread.join(timeout_s)
        if thread.is_alive():
            _log.error("the SIP thread did not stop within %.1f s", timeout_s)
        self._wake_sock.close()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def capabilities(self) -> ev.Capabilities | None:
        """What this platform's SIP library can do, once started (any thread; also emitted as
        an event right after ``EngineStarted``)."""
        return self._capabilities

    def _flush(self) -> None:
        # Events raised inside pjsua2 callbacks are held until the callback's work is done (the
        # 200 OK sent, the ACK out): handing one over earlier wakes the receiving thread, which
        # then competes for the GIL with the SIP thread in the middle of a transaction.
        outbox, self._outbox = self._outbox, []
        for event in outbox:
            self._emit(event)

    def _run(self) -> None:
        stack = SipStack(self._config, self._outbox_append, self._audio, self._post)
        try:
            started = stack.start()
        except BaseException as err:
            self._start_error = _clean_error("start", err)
            del err
            self._started.set()
            return
        self._wake_addr = ("127.0.0.1", stack.wake_port)
        try:
            # Connected: the kernel then drops every datagram to this socket that does not come
            # from the wake transport, so it is no port anyone else can reach.
            self._wake_sock.connect(self._wake_addr)
        except OSError as err:
            _log.warning("the SIP thread's wake-up socket could not be set up: %s", err)
        self._capabilities = stack.capabilities
        self._running = True
        self._started.set()
        self._emit(started)
        if stack.capabilities is not None:
            self._emit(stack.capabilities)
        poll_ms = self._config.poll_interval_ms
        try:
            while not self._stopping:
                self._drain(stack)
                stack.timers.run_due()
                self._flush()
                wait = stack.timers.seconds_to_next()
                ms = poll_ms if wait is None else min(poll_ms, int(wait * 1000) + 1)
                if self._queue.empty() and not self._stopping:
                    stack.poll(ms)
                    self._flush()
        finally:
            self._running = False
            self._fail_pending()
            clean = stack.shutdown()
            self._flush()
            self._emit(ev.EngineStopped(clean=clean))
            self._fail_pending()  # a command that slipped in while the engine was stopping

    def _outbox_append(self, event: ev.Event) -> None:
        self._outbox.append(event)

    def _drain(self, stack: SipStack) -> None:
        while True:
            try:
                name, account_id, action, future = self._queue.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = action(stack)
            except Exception as err:
                clean = _clean_error(name, err)
                del err
                self._outbox.append(
                    ev.CommandFailed(command=name, message=str(clean), account_id=account_id)
                )
                self._flush()
                future.set_exception(clean)
            else:
                # The command's events first, so a caller woken by the future sees them.
                self._flush()
                future.set_result(result)

    def _fail_pending(self) -> None:
        while True:
            try:
                _, _, _, future = self._queue.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(EngineNotRunning("The SIP engine has stopped."))

    def _wake(self) -> None:
        if self._wake_addr is not None:
            # On failure the poll timeout still bounds the delay.
            with contextlib.suppress(OSError):
                self._wake_sock.send(_WAKE)

    def _post(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the SIP thread soon (any thread; dropped once the engine stops)."""
        self._submit("post", lambda s: action())

    def _submit(
        self, name: str, action: Callable[[SipStack], T], account_id: str = ""
    ) -> Future[T]:
        """Queue ``action`` for the SIP thread; ``account_id`` names the account it is for in
        the CommandFailed event of a failure (sessions sharing the engine tell theirs apart)."""
        future: Future[T] = Future()
        if not self._running or self._stopping:
            future.set_exception(EngineNotRunning("The SIP engine is not running."))
            return future
        self._queue.put((name, account_id, action, future))
        self._wake()
        return future

    # ---- commands --------------------------------------------------------------------------

    def add_account(self, config: SipAccountConfig, account_id: str | None = None) -> Future[str]:
        return self._submit(
            "add_account", lambda s: s.add_account(config, account_id), account_id or ""
        )

    def remove_account(self, account_id: str) -> Future[None]:
        return self._submit("remove_account", lambda s: s.remove_account(account_id))

    def reregister(self, account_id: str) -> Future[None]:
        return self._submit("reregister", lambda s: s.reregister(account_id))

    def set_auto_answer(self, account_id: str, policy: AutoAnswerPolicy) -> Future[None]:
        return self._submit("set_auto_answer", lambda s: s.set_auto_answer(account_id, policy))

    def set_direct_calls(self, account_id: str, accept: bool | None) -> Future[None]:
        """Whether calls from anywhere but the account's own server ring (never auto-answered)
        or are refused 403; None: only for an account that does not register."""
        return self._submit("set_direct_calls", lambda s: s.set_direct_calls(account_id, accept))

    def make_call(
        self, account_id: str, target: str, headers: dict[str, str] | None = None
    ) -> Future[str]:
        """Place a call; ``headers`` are added to the INVITE (e.g. ``Call-Info``)."""
        extra = tuple((headers or {}).items())
        return self._submit("make_call", lambda s: s.make_call(account_id, target, extra))

    def answer(self, call_id: str) -> Future[None]:
        return self._submit("answer", lambda s: s.calls.answer(call_id))

    def reject(self, call_id: str, code: int = 486) -> Future[None]:
        return self._submit("reject", lambda s: s.calls.reject(call_id, code))

    def hangup(self, call_id: str) -> Future[None]:
        return self._submit("hangup", lambda s: s.calls.hangup(call_id))

    def hold(self, call_id: str) -> Future[None]:
        return self._submit("hold", lambda s: s.calls.hold(call_id))

    def unhold(self, call_id: str) -> Future[None]:
        return self._submit("unhold", lambda s: s.calls.unhold(call_id))

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        return self._submit("set_mute", lambda s: s.calls.set_mute(call_id, muted))

    def send_dtmf(
        self, call_id: str, digits: str, method: DtmfMethod | None = None
    ) -> Future[None]:
        return self._submit("send_dtmf", lambda s: s.calls.send_dtmf(call_id, digits, method))

    def transfer(self, call_id: str, target: str) -> Future[None]:
        return self._submit("transfer", lambda s: s.calls.transfer(call_id, target))

    def transfer_attended(self, call_id: str, to_call_id: str) -> Future[None]:
        return self._submit(
            "transfer_attended", lambda s: s.calls.transfer_attended(call_id, to_call_id)
        )

    def set_levels(self, speaker: float, mic: float) -> Future[None]:
        """Speaker and microphone gains for every call (1.0 unchanged, 0 silent, at most 2.0);
        they hold until changed, through device switches and new calls."""
        return self._submit("set_levels", lambda s: s.set_levels(speaker, mic))

    def set_sip_trace(self, on: bool) -> Future[bool]:
        """Log every SIP message from now on (redacted, to ``softphone.sip.pjsip``), or stop.
        The result is False where this build of pjsua2 cannot start the trace while it runs:
        then it starts with the next engine."""
        return self._submit("set_sip_trace", lambda s: s.set_sip_trace(on))

    def set_ringtone(self, ringtone: Ringtone) -> Future[None]:
        """The ringtone for incoming calls from now on (``Ringtone.NONE``: ring silently)."""
        return self._submit("set_ringtone", lambda s: s.set_ringtone(ringtone))

    def preview_ringtone(self, ringtone: Ringtone) -> Future[float]:
        """Play ``ringtone`` for a few seconds where calls ring; the Future holds how long
        (0 when nothing plays: silent, or a call's tone is sounding)."""
        return self._submit("preview_ringtone", lambda s: s.preview_ringtone(ringtone))

    def stop_ringtone_preview(self) -> Future[None]:
        return self._submit("stop_ringtone_preview", lambda s: s.stop_ringtone_preview())

    def handle_ip_change(self) -> Future[None]:
        return self._submit("handle_ip_change", lambda s: s.handle_ip_change())

    def snapshot(self) -> Future[EngineSnapshot]:
        return self._submit("snapshot", lambda s: s.snapshot())
