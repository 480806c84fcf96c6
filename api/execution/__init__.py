"""Planned execution of GraphQL operations (see executor.py)."""
