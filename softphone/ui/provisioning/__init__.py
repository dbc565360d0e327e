"""The supervisors' provisioning pane (:mod:`.view`): one agent's code with a live preview
(:mod:`.one_agent_tab`), or a CSV batch to a printable PDF sheet and a separate PIN list
(:mod:`.batch_tab`); the pane's one worker (:mod:`.worker`) and the code as a pixmap
(:mod:`.code_image`). The PDF sheets themselves are drawn by :mod:`softphone.ui.qr_sheet`."""
