"""The lesson screen's widgets, one per module: lesson text, checks, VMs, consoles,
trace, policy and the editor. Each talks to the screen through messages or the
`tui.engine.Engine` it is given, never to `lab` directly."""
