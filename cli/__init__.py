"""The `vigil` command: start the stack, mint dev tokens, migrate, seed, verify the audit log."""
