"""Repositories: every SELECT lives here, every read scoped in SQL."""
