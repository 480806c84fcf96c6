"""Use cases: load through repositories, authorize, apply the domain. Services never commit."""
