"""``python -m softphone.cli``: the ``vicifast-phone`` command."""

import sys

from softphone.cli.command import main

sys.exit(main())
