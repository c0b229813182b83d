"""GitHub REST adapter."""
