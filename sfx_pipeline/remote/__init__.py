"""Talking to the team's server: the remote backend, the shared cache, and their wire format.

Standard library only (plus numpy, already a dependency): a laptop that builds through a
server installs nothing more, and the CLI starts as fast as before.
"""
