"""Security findings read from a repository itself: leaked secrets (`secrets.py`) and risky code
(`risky.py`, tree-sitter queries per language). Pure reading: no network, no daemon."""
