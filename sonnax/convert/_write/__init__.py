"""Writing: the atomic, pickle-free `.npz` params file and its ZIP64 container."""
