"""Load runs for testers: many emulated agents doing what the app does (see ``host``)."""
