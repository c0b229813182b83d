"""Talking to a running daemon over ZeroMQ with the protocol in contexten.common."""
