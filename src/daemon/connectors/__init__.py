"""Adapters for external services (forges, trackers). Flows depend on ports; these are the edges."""
