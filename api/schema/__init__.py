"""The GraphQL schema: Strawberry types kept apart from the ORM models."""
