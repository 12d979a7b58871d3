"""Audio stages after generation: small pure functions over float32 mono signals."""
