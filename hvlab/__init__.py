"""hvlab's composition root: the `hvlab` command (cli.py) and the generators (generate/).

Everything else lives in the layers below: `lab` (the engine), `tui` and `web` (the front
ends), `bench` (the figures), `uitext` (the front ends' words). This package may import
any of them; none of them imports it.
"""
