"""Vigil's own tables (SQLModel), the engine, and Alembic migrations."""
