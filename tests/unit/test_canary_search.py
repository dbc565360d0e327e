"""The privacy test's own tools: a canary is found in every encoding it may be written in, at any
position, and nothing else is reported."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from tests.support.canary import canary, search_bytes, search_tree
from tests.support.proc_watch import ProcessWatcher


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"abc", b'{"x": "'])
def test_each_encoding_is_found_wherever_it_sits(prefix: bytes) -> None:
    secret = canary("password")
    written = {
        "raw": secret.encode(),
        "url": urllib.parse.quote(secret).encode(),
        "json": json.dumps({"p": secret}).encode(),
        "base64": base64.b64encode(prefix + secret.encode() + b"tail"),
        "utf-16-le": ("x" + secret).encode("utf-16-le"),
        "utf-16-be": secret.encode("utf-16-be"),
    }
    for how, data in written.items():
        hits = search_bytes(how, prefix + data + b"\n", {"password": secret})
        assert hits, f"a {how} copy was not found"


def test_a_tree_without_the_canary_has_no_hits_and_counts_its_files(tmp_path: Path) -> None:
    secret = canary("token")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("nothing here " + secret[:-1])
    (tmp_path / "two.bin").write_bytes(os.urandom(4096))
    hits, count = search_tree([tmp_path], {"token": secret})
    assert (hits, count) == ([], 2)
    (tmp_path / "a" / "three.log").write_text(f"token={secret}")
    hits, _ = search_tree([tmp_path], {"token": secret})
    assert [h.where for h in hits] == [str(tmp_path / "a" / "three.log")]


def test_the_watcher_sees_a_grandchild_and_its_environment() -> None:
    secret = canary("env")
    grandchild = "import time; time.sleep(0.3)"
    script = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    with ProcessWatcher(os.getpid()) as watcher:
        subprocess.run(
            [sys.executable, "-c", script], env={**os.environ, "LEAK": secret}, check=True
        )
    environs = [env for seen in watcher.seen.values() for env in seen.environs]
    assert len(watcher.seen) >= 2
    assert any(secret.encode() in env for env in environs)
