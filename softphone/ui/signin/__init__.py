"""Signing in: the form (:mod:`.view`: company, user, password, TOTP on demand, errors in
place) and its controller over the sign-in session (:mod:`.controller`)."""
