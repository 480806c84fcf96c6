"""Thin resolvers: parse input, call one service, hand rows back to the schema types."""
