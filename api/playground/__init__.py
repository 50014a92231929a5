"""The prompt playground for staff: the page and API (router.py), its sessions (sessions.py),
and the export of a session as a conversation script (export.py)."""
