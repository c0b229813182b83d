"""Flow types the daemon can run."""
