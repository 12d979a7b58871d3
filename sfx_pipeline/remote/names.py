"""Names both sides agree on; no imports, so the CLI can read them at start."""

SERVE_TOKEN_ENV = "SFX_PIPELINE_SERVE_TOKEN"  # the server's secret
CLIENT_TOKEN_ENV = "SFX_PIPELINE_TOKEN"  # the same secret on a build machine; never in a committed file
DEFAULT_PORT = 8750
