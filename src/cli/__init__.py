"""The `contexten` command line."""
