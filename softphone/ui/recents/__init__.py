"""Recents: the call history table model over the history writer (:mod:`.model`), how its
table shows the rows (:mod:`.table`), its filter chips (:mod:`.filters`), the selected call's
details pane (:mod:`.details`), and the page that searches, filters, sorts, calls back and
exports it (:mod:`.view`)."""
