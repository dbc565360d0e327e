"""The ``vicifast-phone`` command line: :mod:`.command` (the parser and its commands, ``main``),
:mod:`.qr` (``qr make|batch|scan``), :mod:`.prompts` (passwords and codes asked on a terminal,
from a file or a descriptor)."""

from softphone.cli.command import main

__all__ = ["main"]
