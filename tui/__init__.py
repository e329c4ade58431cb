"""The terminal lab (Textual)."""
