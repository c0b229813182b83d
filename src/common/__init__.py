"""Models and the wire protocol shared by the daemon, the console and the CLI.

Imports neither textual nor zmq nor the other contexten packages (checked by tests/unit/test_boundaries.py).
"""
