"""Services: the verbs of rumordesk, shared by the API, the CLI and workers."""
