"""Argon2id hash and verify time with the forum's parameters (m=19 MiB, t=2, p=1).

Run: .venv/bin/python bench/passwords.py [--rounds N]. Prints a Markdown table row set to paste
into bench/RESULTS.md. The target (issue: verify well under 100 ms here) is judged on p95.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.security import hash_password, verify_password  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(rounds: int) -> dict[str, list[float]]:
    password = "correct horse battery staple"
    stored = hash_password(password)
    timings: dict[str, list[float]] = {"hash": [], "verify": []}
    for _ in range(rounds):
        start = time.perf_counter()
        hash_password(password)
        timings["hash"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        verify_password(password, stored)
        timings["verify"].append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    timings = measure(rounds)
    print("| operation | rounds | p50 ms | p95 ms | max ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, values in timings.items():
        print(
            f"| argon2id {name} | {rounds} | {statistics.median(values):.1f} | "
            f"{percentile(values, 0.95):.1f} | {max(values):.1f} |"
        )


if __name__ == "__main__":
    main()
