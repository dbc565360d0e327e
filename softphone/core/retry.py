"""The re-registration policy: how long to wait before trying again after a failure.

pjsua's own retry ignores ``Retry-After`` after a 503 and then waits 300 s between attempts; an
agent would sit unregistered for minutes after a short registrar outage. The engine turns
pjsua's retry off and follows this policy instead.
"""

from __future__ import annotations

import re

from softphone.core.values import value_class

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random

# A pattern, not a compiled one: ``re`` compiles it on its first use, not at import.
_RETRY_AFTER = r"^\s*(\d{1,6})"


@value_class(frozen=False)
class Backoff:
    """Exponential backoff with full jitter over [base/2, base], capped, reset on success."""

    first_s: float = 1.0
    factor: float = 2.0
    cap_s: float = 120.0
    # None: a generator of its own, made when first needed (every account has a Backoff, and
    # ``random`` costs the agent's start more than the rest of this module)
    rng: random.Random | None = None
    attempts: int = 0

    def next_delay(self, retry_after_s: float | None = None) -> float:
        if self.rng is None:
            import random

            self.rng = random.Random()
        base = min(self.cap_s, self.first_s * self.factor**self.attempts)
        self.attempts += 1
        delay = self.rng.uniform(base / 2, base)
        if retry_after_s is not None:
            # The server said when it can take us again: never earlier, and not much later.
            delay = max(min(retry_after_s, 3600.0), 0.0) + self.rng.uniform(0.0, 0.5)
        return delay

    def reset(self) -> None:
        self.attempts = 0


def parse_retry_after(value: str) -> float | None:
    """Seconds from a ``Retry-After`` header value (``120 (maintenance);duration=60``)."""
    match = re.match(_RETRY_AFTER, value)
    return float(match.group(1)) if match else None


# Codes after which trying again later can succeed without the user changing anything.
TRANSIENT_CODES = frozenset({408, 480, 500, 502, 503, 504, 600, 0})
# Codes that mean the credentials or the account are wrong: retry slowly, the user must act.
AUTH_CODES = frozenset({401, 403, 407})


def is_transient(code: int) -> bool:
    return code in TRANSIENT_CODES or code >= 700 or code >= 70000
