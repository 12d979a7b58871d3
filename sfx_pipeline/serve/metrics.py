"""`/metrics` in Prometheus's text format, read from the service at each scrape.

prometheus_client's custom-collector API (its docs, "Custom Collectors"): nothing is
updated on the hot path, the numbers are gathered when Prometheus asks. Each app has its
own registry, so two servers in one process (tests, Ray replicas) never mix their counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from sfx_pipeline.serve.service import Service

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServiceCollector:
    def __init__(self, service: Service) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        service, engine = self.service, self.service.engine
        yield _gauge("sfx_serve_ready", "1 once the model is loaded and the decode loop runs.",
                     1.0 if engine.ready.is_set() else 0.0)
        yield _gauge("sfx_serve_queue_depth", "Sounds waiting for a decoder slot.", engine.waiting())
        yield _gauge("sfx_serve_sounds_in_flight", "Sounds being decoded now.", engine.in_flight())
        yield _gauge("sfx_serve_slots", "Sounds the decoder runs at once.", engine.slots)
        yield _gauge("sfx_serve_audio_seconds_per_second", "Seconds of audio generated per second, last minute.",
                     engine.stats.rate())
        yield _counter("sfx_serve_audio_seconds", "Seconds of audio generated.", engine.stats.audio_seconds)
        yield _counter("sfx_serve_sounds_generated", "Sounds the model generated.", engine.stats.generated)
        yield _counter("sfx_serve_sounds_failed", "Sounds whose generation failed.", engine.stats.failed)
        answered = CounterMetricFamily("sfx_serve_requests", "Generate requests by how they were answered.",
                                       labels=["source"])
        for source in ("generated", "joined", "stored"):
            answered.add_metric([source], service.served[source])
        yield answered
        refused = CounterMetricFamily("sfx_serve_refused", "Requests refused, by status code.", labels=["code"])
        for code, count in sorted(service.refused.items()):
            refused.add_metric([str(code)], count)
        yield refused
        yield from _gpu_memory(engine)


def _gpu_memory(engine: Any) -> Iterator[Metric]:
    if not engine.ready.is_set() or engine.generator.loaded().device != "cuda":
        return
    import torch

    family = GaugeMetricFamily("sfx_serve_gpu_memory_bytes", "GPU memory held by torch.", labels=["kind"])
    family.add_metric(["allocated"], float(torch.cuda.memory_allocated()))
    family.add_metric(["reserved"], float(torch.cuda.memory_reserved()))
    free, total = torch.cuda.mem_get_info()
    family.add_metric(["free"], float(free))
    family.add_metric(["total"], float(total))
    yield family


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=float(value))


def registry_for(service: Service) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(service))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
