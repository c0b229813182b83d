"""Linear GraphQL adapter."""
