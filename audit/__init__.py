"""The append-only, hash-chained audit log: one writer, one verifier."""
