"""The Textual console. Talks to the daemon only through contexten.client and contexten.common."""
