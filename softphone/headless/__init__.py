"""The headless side: :mod:`.agent`, the ``vicifast-phone agent`` command's softphone (one
account, registered or signed in like the app, driven from the command line)."""
