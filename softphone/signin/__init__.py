"""Signing in without Qt: :mod:`.service` (the sign-in session composed with the keychain, the
HTTP clients and the engine; the app's folders and install ids) and :mod:`.netwatch` (the route
to the control plane, watched for a change of local address)."""
