"""Synthetic national-shaped data for benchmarks and scale checks."""
