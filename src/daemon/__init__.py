"""The contexten daemon: runs flows, keeps state in SQLite, publishes every change over ZeroMQ."""
