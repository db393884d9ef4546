"""Reads TensorFlow checkpoints and SavedModel variables into numpy arrays, without TensorFlow."""
