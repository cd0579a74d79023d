"""Counters and a latency histogram for `/metrics`, in Prometheus' text format."""

from __future__ import annotations

import bisect
from collections import Counter

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.handled: Counter[str] = Counter()  # by outcome: done, refused, failed, ...
        self.errors = 0
        self._bucket_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0.0

    def observe_latency(self, seconds: float) -> None:
        self._bucket_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self._latency_sum += seconds

    def render(self, gauges: dict[str, float], counters: dict[str, float]) -> str:
        """The metrics, plus `gauges` and `counters` owned by others (e.g. reconnects)."""
        lines = [
            "# HELP partnerbot_commands_handled_total Messages handled, by outcome.",
            "# TYPE partnerbot_commands_handled_total counter",
        ]
        lines += [
            f'partnerbot_commands_handled_total{{outcome="{outcome}"}} {count}'
            for outcome, count in sorted(self.handled.items())
        ]
        lines += [
            "# TYPE partnerbot_errors_total counter",
            f"partnerbot_errors_total {self.errors}",
        ]
        for name, value in sorted(counters.items()):
            lines += [f"# TYPE partnerbot_{name} counter", f"partnerbot_{name} {value:g}"]
        for name, value in sorted(gauges.items()):
            lines += [f"# TYPE partnerbot_{name} gauge", f"partnerbot_{name} {value:g}"]
        lines += [
            "# HELP partnerbot_reply_latency_seconds From receiving a command to delivering its"
            " replies.",
            "# TYPE partnerbot_reply_latency_seconds histogram",
        ]
        cumulative = 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self._bucket_counts, strict=True):
            cumulative += count
            label = "+Inf" if bound == float("inf") else f"{bound:g}"
            lines.append(f'partnerbot_reply_latency_seconds_bucket{{le="{label}"}} {cumulative}')
        lines += [
            f"partnerbot_reply_latency_seconds_sum {self._latency_sum:.6f}",
            f"partnerbot_reply_latency_seconds_count {cumulative}",
        ]
        return "\n".join(lines) + "\n"
