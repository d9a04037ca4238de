"""Test helpers: the running stack, tokens, waiting, policies."""
