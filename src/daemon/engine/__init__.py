"""The workflow engine: executing a run's step graph with retries, checkpoints and a side-effect ledger."""
