"""Following the calls from the engine's events, and what the page says when one ends.

``CallTracker`` keeps the phone page's :class:`~softphone.ui.phone.call_book.CallBook` and the
mute and hold changes asked for but not yet confirmed, from the engine's call events on the
``EventBus``; it words how a call ended or a transfer went. ``PhoneView`` draws what it keeps
and shows what it says.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.ui.phone.call_book import CallBook, EndedCall
from softphone.ui.phone.phone_numbers import caller_id, format_duration


class CallTracker(QObject):
    """The calls as the engine's events tell them. Emits on the GUI thread (the bus's):
    ``changed`` when the calls changed, ``message`` with a sentence for the agent (and whether
    it is an error), ``allEnded`` when the last call ended.

    ``pending_mute`` and ``pending_hold`` hold what the page asked for per call id until the
    engine's media event confirms it (the page's commands fill them, its error paths empty
    them); ``book.consult`` is likewise set by the page's attended-transfer commands.
    """

    changed = Signal()
    message = Signal(str, bool)
    allEnded = Signal()

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.book = CallBook()
        self.pending_mute: dict[str, bool] = {}
        self.pending_hold: dict[str, bool] = {}
        # Calls handed on by a transfer: their end is the transfer's, already said.
        self._transferred: set[str] = set()
        unsubscribe = [
            bus.subscribe(ev.IncomingCall, self._on_incoming),
            bus.subscribe(ev.CallStateChanged, self._on_call_state),
            bus.subscribe(ev.CallMediaChanged, self._on_media),
            bus.subscribe(ev.CallQuality, self._on_quality),
            bus.subscribe(ev.TransferProgress, self._on_transfer),
        ]
        # No reference to self: the bus must drop the handlers when the page goes away.
        self.destroyed.connect(lambda *_: [u() for u in unsubscribe])

    def _on_incoming(self, event: ev.IncomingCall) -> None:
        self.book.incoming(event)
        self.changed.emit()

    def _on_call_state(self, event: ev.CallStateChanged) -> None:
        ended = self.book.state(event)
        if ended is not None:
            self.pending_hold.pop(event.call_id, None)
            self.pending_mute.pop(event.call_id, None)
            self._report_end(ended, event.duration_s)
            if self.book.current is None:
                self.allEnded.emit()
        self.changed.emit()

    def _on_media(self, event: ev.CallMediaChanged) -> None:
        self.book.media(event)
        self.pending_mute.pop(event.call_id, None)
        if event.hold is not ev.HoldState.NONE or self.pending_hold.get(event.call_id) is False:
            self.pending_hold.pop(event.call_id, None)
        self.changed.emit()

    def _on_quality(self, event: ev.CallQuality) -> None:
        self.book.quality(event)
        self.changed.emit()

    def _on_transfer(self, event: ev.TransferProgress) -> None:
        if event.final and 200 <= event.code < 300:
            self._transferred.add(event.call_id)
            consult = self.book.consult
            if consult is not None and consult.original == event.call_id and consult.target:
                self._transferred.add(consult.target)
            self._say(self.tr("Transferred."))
        elif event.final:
            detail = f"{event.reason} ({event.code})" if event.reason else str(event.code)
            self._say(self.tr("Transfer failed: {0}").format(detail), error=True)
        else:
            self._say(self.tr("Transferring… {0}").format(event.reason))

    def _report_end(self, ended: EndedCall, duration_s: float) -> None:
        """``duration_s`` is the ending event's: the engine's own count since the call was
        confirmed, as Recents shows it (``HistoryRecorder`` keeps the same number), so both
        say the same mm:ss."""
        if ended.call.call_id in self._transferred:
            self._transferred.discard(ended.call.call_id)
            return
        who = caller_id(ended.call.display, ended.call.number) or self.tr("the caller")
        if ended.connected and ended.call.connected_at is not None:
            length = format_duration(duration_s)
            self._say(self.tr("Call with {0} ended ({1}).").format(who, length))
        elif ended.call.direction is ev.Direction.OUTBOUND and ended.sip_code >= 400:
            self._say(self._failure_text(ended.sip_code, ended.reason), error=True)
        elif ended.call.direction is ev.Direction.INBOUND and ended.sip_code not in (486, 603):
            self._say(self.tr("Missed call from {0}.").format(who))

    def _failure_text(self, code: int, reason: str) -> str:
        if code in (486, 600):
            return self.tr("The line is busy.")
        if code in (404, 484, 604):
            return self.tr("That number does not exist ({0}).").format(code)
        if code in (408, 480):
            return self.tr("No answer.")
        if code == 487:
            return self.tr("Call cancelled.")
        if code in (403, 603):
            return self.tr("The call was refused ({0}).").format(code)
        return self.tr("The call failed: {0} ({1}).").format(reason or self.tr("error"), code)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.emit(text, error)
