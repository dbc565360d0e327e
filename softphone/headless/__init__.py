"""The headless side: :mod:`.agent`, the ``vicifast-phone agent`` command's softphone (one
account, registered or signed in like the app, driven from the command line), and :mod:`.loop`,
the event loop the core runs on without Qt (the agent's, and the headless demo's)."""
