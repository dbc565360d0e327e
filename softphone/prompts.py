"""Secrets for the command line: from an environment variable, else a hidden prompt.

A password is never taken from a flag (it would sit in the shell history and in the process
list), nor read from a pipe without saying where it should come from.
"""

from __future__ import annotations

import os
import sys

from softphone.core.errors import ConfigError
from softphone.core.secret import Secret


def secret_from_env_or_prompt(env: str, prompt: str, what: str = "the password") -> Secret:
    """``$env`` if set, else a hidden prompt on a terminal, else a ConfigError naming ``env``."""
    value = os.environ.get(env)
    if value:
        return Secret(value)
    if sys.stdin.isatty():
        import getpass

        return Secret(getpass.getpass(prompt))
    raise ConfigError(f"Set ${env} to {what} (it is never taken from a flag).")
