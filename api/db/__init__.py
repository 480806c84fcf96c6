"""Persistence: models, engine and sessions, repositories (the only place with SQL)."""
