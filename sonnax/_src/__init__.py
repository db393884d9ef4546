"""sonnax implementation; nothing here is public."""
