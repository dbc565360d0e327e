"""Recents: the call history table model over the history writer (:mod:`.model`), how its
table shows the rows (:mod:`.table`), and the page that searches, filters, calls back and
exports it (:mod:`.view`)."""
