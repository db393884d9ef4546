"""Name mapping: Sonnet / TF variable names to sonnax module paths, and dtype casts."""
