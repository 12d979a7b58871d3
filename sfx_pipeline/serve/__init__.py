"""`sfx-pipeline serve`: one warm AudioGen for the whole team, over HTTP.

main.py starts it; app.py is the HTTP surface (Starlette); service.py the checks, caps and
one-generation-per-key logic; engine.py the thread that owns the model; open_decoder.py
lets requests join a fast-decoder run in progress; store.py the shared cache's files;
intake.py turns a request into a build job; metrics.py the Prometheus page. The CLI command
is in cli/commands/serve.py and imports none of this until it runs.
"""
