"""Recents: the call history table model over the history writer (:mod:`.model`) and the page
that searches, filters, calls back and exports it (:mod:`.view`)."""
