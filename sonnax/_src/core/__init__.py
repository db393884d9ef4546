"""The programming model: frames, naming, params, state, rng, modules, transforms."""
