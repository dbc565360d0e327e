"""Qt-free, pjsua2-free domain: events, the event bus, models, policies and errors."""
