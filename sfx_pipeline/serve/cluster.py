"""Many GPUs: the same service as Ray Serve replicas, one warm model per GPU, behind one endpoint.

    ray start --head                                    # one machine
    ray start --address=HEAD:6379                       # each other GPU machine
    SFX_PIPELINE_SERVE_TOKEN=... serve run sfx_pipeline.serve.cluster:app project=/srv/game replicas=8

`app` is a Ray Serve application builder (Ray docs, "Pass Arguments to Applications"): the
`key=value` words after it arrive as `args`. Each replica builds the very Starlette app of
`sfx-pipeline serve` (Ray docs, `serve.ingress` with a builder function) around its own
engine, so every route, check and cap is the same; Ray places one replica per GPU
(`ray_actor_options={"num_gpus": 1}`) on whichever machines have them, and its proxy is the
one endpoint (127.0.0.1:8000 unless Ray's `http_options` say otherwise).

Keeping every replica's batch full: each sound is its own request, so load spreads in units
of one sound. Ray's default router sends each request to the less loaded of two random
replicas ("power of two choices", Ray docs "Request routing"), and `max_ongoing_requests`
is twice a replica's slots: a replica always holds a full batch plus as many again waiting
to take each slot the moment it frees, and requests beyond that wait at the proxy rather
than pile onto one replica. With at least replicas x slots sounds in flight, every batch is full.

What is per replica: the in-flight deduplication and the `/cas/` store (in the replica's
cache folder). Give replicas a shared cache folder (`SFX_PIPELINE_CACHE` on a shared file
system), or point builds' `[cache] remote` at a WebDAV server, so a sound made on one GPU
is found by all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sfx_pipeline.serve.service import Limits

WAITING_PER_SLOT = 2  # max_ongoing_requests = this x slots: a full batch, and as many queued to refill it


class _Replica:
    """The deployment class; the ASGI app comes from the builder `serve.ingress` is given."""


def app(args: dict[str, str]) -> Any:
    """The Ray Serve application: project=DIR (required), replicas=N (1), gpus=G per replica (1;
    0 for CPU replicas), slots=S sounds per replica at once (the project's max_batch_size, else 64),
    max_seconds, max_in_flight (as `serve`'s options)."""
    from ray import serve

    from sfx_pipeline.config import find_root, load
    from sfx_pipeline.report import LineReporter
    from sfx_pipeline.serve.main import read_token

    root = find_root(Path(args["project"]))
    config = load(root)
    token = read_token(Path(args["token_file"]) if "token_file" in args else None, LineReporter())
    gpus = float(args.get("gpus", "1"))
    slots = int(args.get("slots") or config.generator.get("max_batch_size") or 64)
    limits = Limits(max_seconds=float(args.get("max_seconds", "10")),
                    max_in_flight=int(args.get("max_in_flight", "64")))

    def build() -> Any:  # runs on each replica, once, when it starts
        from sfx_pipeline.serve.app import make_app
        from sfx_pipeline.serve.main import make_service

        replica_config = load(root)
        generator = {**replica_config.generator, "max_batch_size": slots}
        if gpus == 0:
            generator["device"] = "cpu"
        service = make_service(_with_generator(replica_config, generator), token, limits, LineReporter())
        service.engine.start()
        service.engine.settled.wait()  # Ray routes to a replica once its constructor returns: load first
        if service.engine.load_error:
            raise RuntimeError(f"the model did not load: {service.engine.load_error}")
        return make_app(service)

    deployment = serve.deployment(
        serve.ingress(build)(_Replica),
        name="sfx-pipeline",
        num_replicas=int(args.get("replicas", "1")),
        ray_actor_options={"num_gpus": gpus, "num_cpus": 1},
        max_ongoing_requests=WAITING_PER_SLOT * slots,
        health_check_period_s=10,
    )
    return deployment.bind()


def _with_generator(config: Any, generator: dict[str, Any]) -> Any:
    import dataclasses

    return dataclasses.replace(config, generator=generator)
