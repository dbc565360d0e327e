from __future__ import annotations

from pathlib import Path

import pytest

from softphone.cli.agent_inputs import PASSWORD_ENV, account_from_args
from softphone.cli.command import _parser
from softphone.core.errors import ConfigError
from softphone.core.models import AutoAnswerMode, SrtpMode, Transport


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "from-the-environment")


def parse(*argv: str) -> object:
    return account_from_args(_parser().parse_args(["agent", *argv]))


def test_flags_override_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(
        'server = "pbx.example"\nextension = "1001"\ntransport = "tls"\nport = 5061\n'
        'srtp = "mandatory"\nanswer = "after=3"\n'
    )
    account = parse("--config", str(config), "--extension", "1002")
    assert account.extension == "1002"  # type: ignore[attr-defined]
    assert account.domain == "pbx.example"  # type: ignore[attr-defined]
    assert account.transport is Transport.TLS  # type: ignore[attr-defined]
    assert account.srtp is SrtpMode.MANDATORY  # type: ignore[attr-defined]
    assert account.auto_answer.mode is AutoAnswerMode.AFTER  # type: ignore[attr-defined]
    assert account.password.reveal() == "from-the-environment"  # type: ignore[attr-defined]


def test_json_config_and_auto_means_always(tmp_path: Path) -> None:
    config = tmp_path / "agent.json"
    config.write_text('{"domain": "pbx", "extension": "7", "answer": "auto"}')
    account = parse("--config", str(config))
    assert account.auto_answer.mode is AutoAnswerMode.ALWAYS  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('server = "x"\nextension = "1"\nregistrar_pw = 1\n', "unknown settings"),
        ("server = ", "not valid TOML"),
        ('server = "x"\nextension = "1"\nport = 99999\n', "port"),
    ],
)
def test_bad_config_files_get_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        parse("--config", str(config))


def test_server_and_extension_are_required() -> None:
    with pytest.raises(ConfigError, match="--server"):
        parse("--extension", "1001")


def test_links_before_a_command_go_to_the_app_and_a_subcommands_uri_stays_its_own() -> None:
    from softphone.cli.command import _app_links

    assert _app_links(["tel:+15550102030"]) == ["tel:+15550102030"]
    assert _app_links(["--demo", "sip:600@pbx"]) == ["sip:600@pbx"]
    given = ["agent", "--server", "pbx", "--call", "sip:600@pbx"]
    assert _app_links(given) == []
    args = _parser().parse_args(given)
    assert args.command == "agent" and args.call == "sip:600@pbx"
