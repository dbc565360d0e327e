"""Where the command line takes a secret from: a private file, a descriptor, an environment
variable (taken out of the environment at once) or a prompt, and never from anything else."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.cli import prompts
from softphone.cli.command import main
from softphone.cli.prompts import (
    MAX_SECRET_BYTES,
    from_environment,
    read_secret,
    read_secret_fd,
    read_secret_file,
    take_from_environment,
)
from softphone.core.errors import ConfigError

ENV = "VICIFAST_TEST_SECRET"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes and descriptors")


@pytest.fixture(autouse=True)
def nothing_taken() -> Iterator[None]:
    prompts.forget_taken()
    yield
    prompts.forget_taken()


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)


def private_file(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def pipe_with(data: bytes) -> int:
    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    return read_end


def is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def c_getenv(name: str) -> bytes | None:
    libc = ctypes.CDLL(None)
    libc.getenv.restype = ctypes.c_char_p
    value: bytes | None = libc.getenv(name.encode())
    return value


class TestEnvironment:
    def test_a_variable_read_is_gone_for_children_and_the_c_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(ENV, "env-secret-1")
        assert read_secret(ENV, "?").reveal() == "env-secret-1"
        assert ENV not in os.environ
        if sys.platform != "win32":
            assert c_getenv(ENV) is None
        child = subprocess.run(
            [sys.executable, "-c", f"import os; print(os.environ.get({ENV!r}, 'absent'))"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert child.stdout.strip() == "absent"

    def test_taken_early_it_is_handed_out_once(
        self, monkeypatch: pytest.MonkeyPatch, no_terminal: None
    ) -> None:
        monkeypatch.setenv(ENV, "env-secret-2")
        take_from_environment(ENV, "VICIFAST_NOT_SET")
        assert ENV not in os.environ
        assert read_secret(ENV, "?").reveal() == "env-secret-2"
        with pytest.raises(ConfigError):
            read_secret(ENV, "?")
        assert from_environment("VICIFAST_NOT_SET") is None

    def test_a_file_wins_and_the_variable_is_unset_anyway(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv(ENV, "from-env")
        secret = private_file(tmp_path / "pw", b"from-file\n")
        assert read_secret(ENV, "?", file=secret).reveal() == "from-file"
        assert ENV not in os.environ

    def test_nothing_given_and_no_terminal_says_how_to_give_it(
        self, monkeypatch: pytest.MonkeyPatch, no_terminal: None
    ) -> None:
        monkeypatch.delenv(ENV, raising=False)
        with pytest.raises(ConfigError) as caught:
            read_secret(ENV, "?", "the SIP password")
        message = str(caught.value)
        assert "--password-file" in message and "--password-fd" in message
        assert f"${ENV}" in message and "the SIP password" in message


@POSIX
class TestFile:
    @pytest.mark.parametrize(
        ("data", "value"),
        [
            (b"pw\n", "pw"),
            (b"pw", "pw"),
            (b"pw\r\n", "pw"),
            (b"  spaced pw \n", "  spaced pw "),
            ("pässwörd\n".encode(), "pässwörd"),
        ],
    )
    def test_one_trailing_newline_is_dropped(self, tmp_path: Path, data: bytes, value: str) -> None:
        assert read_secret_file(private_file(tmp_path / "pw", data)) == value

    @pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o644, 0o666, 0o610])
    def test_a_file_others_may_read_or_change_is_refused(self, tmp_path: Path, mode: int) -> None:
        path = private_file(tmp_path / "pw", b"pw\n", mode)
        with pytest.raises(ConfigError, match=f"mode {mode:04o}.*chmod 600"):
            read_secret_file(path)

    @pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
    def test_a_file_only_its_owner_may_use_is_taken(self, tmp_path: Path, mode: int) -> None:
        assert read_secret_file(private_file(tmp_path / "pw", b"pw\n", mode)) == "pw"

    def test_only_a_regular_file(self, tmp_path: Path) -> None:
        directory = tmp_path / "dir"
        directory.mkdir(mode=0o700)
        with pytest.raises(ConfigError, match="not a regular file"):
            read_secret_file(directory)
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo, 0o600)  # nobody writes to it: the open must not wait for a writer
        with pytest.raises(ConfigError, match="not a regular file"):
            read_secret_file(fifo)
        with pytest.raises(ConfigError, match=r"Cannot read the password from .*No such file"):
            read_secret_file(tmp_path / "missing")

    @pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file away")
    def test_another_users_file_is_refused(self, tmp_path: Path) -> None:
        path = private_file(tmp_path / "pw", b"pw\n")
        os.chown(path, 65534, 65534)
        with pytest.raises(ConfigError, match="belongs to another user"):
            read_secret_file(path)

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (b"", "is empty"),
            (b"\n", "is empty"),
            (b"pw\n\n", "more than one line"),
            (b"user\npw\n", "more than one line"),
            (b"p\x00w", "more than one line"),
            (b"\xff\xfe", "not UTF-8"),
            (b"x" * (MAX_SECRET_BYTES + 1), f"More than {MAX_SECRET_BYTES} bytes"),
        ],
    )
    def test_what_is_not_one_password_is_refused(
        self, tmp_path: Path, data: bytes, reason: str
    ) -> None:
        with pytest.raises(ConfigError, match=reason) as caught:
            read_secret_file(private_file(tmp_path / "given", data))
        message = str(caught.value)
        assert "pw" not in message and "user" not in message and "xxx" not in message

    def test_the_largest_password_is_taken(self, tmp_path: Path) -> None:
        data = b"x" * MAX_SECRET_BYTES
        assert read_secret_file(private_file(tmp_path / "pw", data)) == data.decode()


@POSIX
class TestDescriptor:
    def test_read_to_the_end_then_closed(self) -> None:
        fd = pipe_with(b"fd-secret\n")
        assert read_secret_fd(fd) == "fd-secret"
        assert not is_open(fd)

    def test_too_much_is_refused_and_still_closed(self) -> None:
        fd = pipe_with(b"x" * (MAX_SECRET_BYTES + 1))
        with pytest.raises(ConfigError, match="More than"):
            read_secret_fd(fd)
        assert not is_open(fd)

    def test_standard_input_is_left_on_the_null_device(self) -> None:
        saved = os.dup(0)
        try:
            os.dup2(pipe_with(b"stdin-secret"), 0)
            assert read_secret_fd(0) == "stdin-secret"
            assert os.path.samestat(os.fstat(0), os.stat(os.devnull))
        finally:
            os.dup2(saved, 0)
            os.close(saved)

    @pytest.mark.parametrize("fd", [1, 2])
    def test_stdout_and_stderr_are_refused(self, fd: int) -> None:
        with pytest.raises(ConfigError, match="0 \\(standard input\\) or a descriptor of 3"):
            read_secret_fd(fd)
        assert is_open(fd)

    def test_a_terminal_is_refused(self) -> None:
        primary, secondary = os.openpty()
        try:
            with pytest.raises(ConfigError, match="is a terminal"):
                read_secret_fd(secondary)
        finally:
            os.close(primary)
            os.close(secondary)

    def test_a_descriptor_that_is_not_open(self) -> None:
        fd = pipe_with(b"")
        os.close(fd)
        with pytest.raises(ConfigError, match=f"descriptor {fd}: Bad file descriptor"):
            read_secret_fd(fd)


@POSIX
class TestCommands:
    """The flags reach every command that takes a password."""

    def test_qr_make_takes_a_password_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_terminal: None
    ) -> None:
        secret = private_file(tmp_path / "pw", b"qr-file-secret\n")
        png = tmp_path / "sip.png"
        sip = ["qr", "make", "--kind", "sip", "--server", "pbx", "--extension", "1"]
        assert main([*sip, "--out", str(png), "--password-file", str(secret)]) == 0
        assert png.exists()
        assert "qr-file-secret" not in "".join(capsys.readouterr())

        secret.chmod(0o644)
        assert main([*sip, "--out", str(png), "--password-file", str(secret)]) == 2
        assert "chmod 600" in capsys.readouterr().err
        signin = ["qr", "make", "--kind", "signin", "--company", "acme", "--out", str(png)]
        assert main([*signin, "--password-fd", "0"]) == 2
        assert "--kind sip" in capsys.readouterr().err

    def test_the_agent_takes_a_password_descriptor(self) -> None:
        from softphone.cli.agent_inputs import account_from_args
        from softphone.cli.command import _parser

        fd = pipe_with(b"agent-fd-secret\n")
        args = _parser().parse_args(
            ["agent", "--server", "pbx", "--extension", "1", "--password-fd", str(fd)]
        )
        assert account_from_args(args).password.reveal() == "agent-fd-secret"
        assert not is_open(fd)

    def test_one_source_only(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit):
            main(["agent", "--password-file", "x", "--password-fd", "3"])
        assert "not allowed with" in capsys.readouterr().err

    def test_resuming_a_sign_in_reads_no_password(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from softphone.desktop.deployment import DeploymentDefaults

        monkeypatch.setattr("softphone.desktop.deployment.load_defaults", DeploymentDefaults)
        secret = private_file(tmp_path / "pw", b"pw\n")
        assert main(["agent", "--signin", "--password-file", str(secret)]) == 2
        assert "go with --username" in capsys.readouterr().err
