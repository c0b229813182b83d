"""The forge port (repositories, branches, pull requests, checks, merges) and its adapters."""
