from __future__ import annotations

import pytest

from softphone.core.auto_answer import decide, parse_headers, requested_delay
from softphone.core.errors import ConfigError
from softphone.core.events import AnswerReason
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy

INVITE = (
    "INVITE sip:1001@10.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n"
    'f: "Dialer" <sip:8600051@10.0.0.2>;tag=1\r\n'
    "Call-Info: <sip:10.0.0.2>\r\n"
    " ;answer-after=0\r\n"
    "Content-Length: 0\r\n\r\n"
)


def test_parse_headers_folds_continuations_and_expands_compact_names() -> None:
    headers = parse_headers(INVITE)
    assert headers["call-info"] == "<sip:10.0.0.2> ;answer-after=0"
    assert headers["from"].startswith('"Dialer"')


def test_parse_headers_joins_repeated_fields() -> None:
    headers = parse_headers("INVITE x SIP/2.0\r\nAlert-Info: <a>\r\nAlert-Info: <b>\r\n\r\n")
    assert headers["alert-info"] == "<a>, <b>"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Call-Info": "<sip:1.2.3.4>;answer-after=0"}, 0.0),
        ({"call-info": "<sip:1.2.3.4> ; Answer-After = 5"}, 5.0),
        ({"Call-Info": "<sip:1.2.3.4>;answer-after=99999"}, 60.0),
        ({"Alert-Info": "<http://127.0.0.1>;info=alert-autoanswer"}, 0.0),
        ({"Alert-Info": "Ring Answer"}, 0.0),
        ({"Alert-Info": "<http://x>;info=intercom"}, 0.0),
        ({"Answer-Mode": "Auto;require"}, 0.0),
        ({"Call-Info": "<http://x/photo.jpg>;purpose=icon"}, None),
        ({"Alert-Info": "<http://x/ring.wav>"}, None),
        ({}, None),
    ],
)
def test_requested_delay(headers: dict[str, str], expected: float | None) -> None:
    assert requested_delay(headers) == expected


ASKS = {"Call-Info": "<sip:x>;answer-after=2"}
ASKS_NOW = {"Call-Info": "<sip:x>;answer-after=0"}
ALERTS = {"Alert-Info": "<http://x>;info=alert-autoanswer"}


@pytest.mark.parametrize(
    ("policy", "headers", "busy", "expected"),
    [
        (AutoAnswerPolicy(AutoAnswerMode.OFF), ASKS, False, None),
        (AutoAnswerPolicy(AutoAnswerMode.HEADER), ASKS, False, (2.0, AnswerReason.HEADER)),
        (AutoAnswerPolicy(AutoAnswerMode.HEADER), {}, False, None),
        (AutoAnswerPolicy(AutoAnswerMode.ALWAYS), {}, False, (0.0, AnswerReason.ALWAYS)),
        (AutoAnswerPolicy(AutoAnswerMode.AFTER, 3), {}, False, (3.0, AnswerReason.AFTER_DELAY)),
        # The agent's own choice wins over the server's delay, sooner or later.
        (
            AutoAnswerPolicy(AutoAnswerMode.AFTER, 5),
            ASKS_NOW,
            False,
            (5.0, AnswerReason.AFTER_DELAY),
        ),
        (AutoAnswerPolicy(AutoAnswerMode.AFTER, 1), ASKS, False, (1.0, AnswerReason.AFTER_DELAY)),
        (AutoAnswerPolicy(AutoAnswerMode.ALWAYS), ASKS, False, (0.0, AnswerReason.ALWAYS)),
        (AutoAnswerPolicy(AutoAnswerMode.AFTER, 5), ALERTS, False, (5.0, AnswerReason.AFTER_DELAY)),
        (AutoAnswerPolicy(AutoAnswerMode.HEADER), ASKS_NOW, False, (0.0, AnswerReason.HEADER)),
        # Call waiting: never auto-answer over a live call unless the server asks; then the
        # agent's delay still holds.
        (AutoAnswerPolicy(AutoAnswerMode.ALWAYS), {}, True, None),
        (AutoAnswerPolicy(AutoAnswerMode.AFTER, 5), {}, True, None),
        (AutoAnswerPolicy(AutoAnswerMode.ALWAYS), ASKS, True, (0.0, AnswerReason.HEADER)),
        (AutoAnswerPolicy(AutoAnswerMode.AFTER, 5), ASKS_NOW, True, (5.0, AnswerReason.HEADER)),
        (AutoAnswerPolicy(AutoAnswerMode.HEADER), ASKS, True, (2.0, AnswerReason.HEADER)),
    ],
)
def test_decide(
    policy: AutoAnswerPolicy,
    headers: dict[str, str],
    busy: bool,
    expected: tuple[float, AnswerReason] | None,
) -> None:
    decision = decide(policy, headers, busy=busy)
    got = None if decision is None else (decision.delay_s, decision.reason)
    assert got == expected


def test_policy_parse() -> None:
    assert AutoAnswerPolicy.parse("after=4.5") == AutoAnswerPolicy(AutoAnswerMode.AFTER, 4.5)
    assert AutoAnswerPolicy.parse(" Header ") == AutoAnswerPolicy(AutoAnswerMode.HEADER)
    with pytest.raises(ConfigError, match="after=SECONDS"):
        AutoAnswerPolicy.parse("sometimes")
    with pytest.raises(ConfigError, match="between 0 and 600"):
        AutoAnswerPolicy.parse("after=-1")
