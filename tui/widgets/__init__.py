"""The lesson screen's widgets, one per module: lesson text, checks, VMs, consoles,
trace, timeline, network, policy and the editor. Each shows the session's records
(lab.session.records) and talks back through messages or the `Session` it is given."""
