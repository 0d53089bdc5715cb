"""rumordesk: an open system for handling online rumours and false information."""

__version__ = "0.1.0"
