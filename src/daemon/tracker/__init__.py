"""The tracker port (issues with parents and states) and its adapters."""
