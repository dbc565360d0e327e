"""The tone hooks ``Calls`` calls on the SIP thread, doing nothing: what plays no tones.

Kept apart from :mod:`softphone.sip.tones` (whose ``LocalTones`` derives from ``NoTones``) so
that a phone without sound devices, the headless agent among them, never imports the tones,
their cadences and outputs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from softphone.core import events as ev


class NoTones:
    """The hooks ``Calls`` calls when no tones play (headless, or turned off)."""

    def incoming(self, call_id: str) -> None:
        pass

    def call_state(
        self,
        call_id: str,
        direction: ev.Direction,
        state: ev.CallState,
        *,
        sip_code: int,
        connected: bool,
    ) -> None:
        pass

    def media(self, call_id: str, active: bool) -> None:
        pass

    def hung_up(self, call_id: str) -> None:
        pass

    def dtmf(self, digits: str) -> None:
        pass
