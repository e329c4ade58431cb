"""The TUI's screens: the lesson picker, the lesson itself, help and confirmation."""
