"""SQLite state: schema migrations, the connection, and the read queries."""
