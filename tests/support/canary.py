"""Canary secrets and a search for them, however they were written down.

A canary is a long, unique secret; a leak is any of its encodings in a file, an output or a
process's environment or command line: raw, URL-encoded, JSON-escaped, base64 (at each of the
three byte alignments it can take inside a longer text) and UTF-16 (both byte orders).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


def canary(label: str) -> str:
    """A unique secret that no program would write by chance (letters and digits only, so each
    encoding differs from the raw form only where the encoding itself does)."""
    return f"Canary{label.title().replace('-', '')}{secrets.token_hex(12)}"


def encodings(secret: str) -> dict[str, bytes]:
    raw = secret.encode()
    found = {
        "raw": raw,
        "url": urllib.parse.quote(secret, safe="").encode(),
        "url-form": urllib.parse.quote_plus(secret).encode(),
        "json": json.dumps(secret)[1:-1].encode(),
        "utf-16-le": secret.encode("utf-16-le"),
        "utf-16-be": secret.encode("utf-16-be"),
    }
    for offset in range(3):
        # The characters that depend on the secret's bytes alone, whatever comes before or
        # after it: drop the group shared with a preceding byte and the last, padded group.
        encoded = base64.b64encode(b"\0" * offset + raw)
        start = 4 if offset else 0
        found[f"base64+{offset}"] = encoded[start:-4]
        found[f"base64url+{offset}"] = base64.urlsafe_b64encode(b"\0" * offset + raw)[start:-4]
    return found


@dataclass(frozen=True, slots=True)
class Hit:
    where: str
    canary: str
    encoding: str

    def __str__(self) -> str:
        return f"{self.canary} ({self.encoding}) in {self.where}"


def search_bytes(where: str, data: bytes, canaries: Mapping[str, str]) -> list[Hit]:
    hits = []
    for name, secret in canaries.items():
        for encoding, needle in encodings(secret).items():
            if needle in data:
                hits.append(Hit(where, name, encoding))
                break  # one hit per canary and place: several encodings may be the same bytes
    return hits


def search_tree(roots: Iterable[Path], canaries: Mapping[str, str]) -> tuple[list[Hit], int]:
    """Every regular file under ``roots`` (symlinks not followed); the hits and the file count."""
    hits: list[Hit] = []
    count = 0
    seen: set[Path] = set()
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder, name)
                if path in seen:
                    continue
                seen.add(path)
                try:
                    if not stat.S_ISREG(path.lstat().st_mode):
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue  # gone meanwhile (a temp file), or a socket
                count += 1
                hits += search_bytes(str(path), data, canaries)
    return hits, count
