"""Deterministic demo data: real units (divisions.json), synthetic people."""
