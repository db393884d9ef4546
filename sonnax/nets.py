"""Networks built from sonnax layers."""

__all__: list[str] = []
