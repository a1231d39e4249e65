"""Chatbot latency: understanding alone (normalise + rules + classifier), per message.

    .venv/bin/python bench/chatbot/run.py [--repeat 5]

Messages are the dev set (350 real-style questions, 2-120 characters) repeated, plus a worst
case of 5,000-character inputs (cut to 2,000 by the normaliser). Training happens once before
timing and is reported on its own. Prints p50/p95/p99/max in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return f"n={len(ordered)} p50={q[49]:.2f} ms p95={q[94]:.2f} ms p99={q[98]:.2f} ms max={ordered[-1]:.2f} ms"


def time_understanding(texts: list[str]) -> list[float]:
    from chatbot.nlu.classifier import get_classifier

    classifier = get_classifier()
    samples = []
    for text in texts:
        started = time.perf_counter()
        classifier.predict(text)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from chatbot.nlu.classifier import get_classifier

    dev = [
        json.loads(line)["text"] for line in (ROOT / "chatbot/data/dev.jsonl").open(encoding="utf-8") if line.strip()
    ]
    started = time.perf_counter()
    get_classifier()
    train_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"cpu count: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"training at first use: {train_s:.2f} s; peak RSS after training: {rss_mb:.0f} MiB")
    time_understanding(dev[:50])  # warm caches (pinyin per character)
    typical = time_understanding(dev * args.repeat)
    print(f"understanding, dev messages x{args.repeat}: {percentiles(typical)}")
    long_inputs = [(text * (5000 // max(len(text), 1) + 1))[:5000] for text in dev[::7]]
    worst = time_understanding(long_inputs * 2)
    print(f"understanding, 5,000-character inputs: {percentiles(worst)}")


if __name__ == "__main__":
    main()
