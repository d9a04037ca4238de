"""Delivery channel adapters: one per channel, all behind the same small interface."""
