"""The ``vicifast-phone`` command line: :mod:`.command` (the top-level parser, the ``demo``
flags and ``main``), :mod:`.agent` (``agent``: its flags and its run) with :mod:`.agent_inputs`
(the account or sign-in its flags give), :mod:`.qr` (``qr make|batch|scan``), :mod:`.prompts`
(passwords and codes asked on a terminal, from a file or a descriptor)."""

from softphone.cli.command import main

__all__ = ["main"]
