"""Durable Temporal workflows: they decide; activities act."""
