"""Cost of masking secrets in what the bot posts: `Redactor.redact_tree` over
message blocks like an incident header's (section texts, context elements,
buttons with JSON values), built from the shipped runbooks' own words.

Usage: python bench/redact_cost.py [--messages 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.redact import Redactor  # noqa: E402
from bot.runbooks.loader import load_runbook  # noqa: E402


def words() -> list[str]:
    """Every title, summary, check summary and conclusion text of the runbooks."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and len(value) > 3:
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted((ROOT / "runbooks").glob("*.yaml")):
        if not path.name.endswith(".test.yaml"):
            walk(load_runbook(path).model_dump(mode="json"))
    return found


def message(texts: list[str], n: int) -> list[dict[str, Any]]:
    """A header-sized message: 12 blocks, about 40 strings."""
    pick = [texts[(n * 7 + i) % len(texts)] for i in range(24)]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": pick[0][:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(pick[1:5])[:3000]}},
    ]
    for i in range(5, 20, 3):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": pick[i]}]})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": pick[i + 1]}})
    value = json.dumps({"incident": n, "step": pick[21][:20], "target": "smtp-relay"})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "triage.run_all", "value": value,
                 "text": {"type": "plain_text", "text": "Run all"}},
                {"type": "button", "action_id": "triage.next", "value": value,
                 "text": {"type": "plain_text", "text": pick[22][:70]}},
            ],
        }
    )  # fmt: skip
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    texts = words()
    messages = [message(texts, n) for n in range(args.messages)]
    redactor = Redactor(["xoxb-not-a-real-token-0000", "s3cr3t-signing-value"])
    for blocks in messages[:20]:  # warm up
        redactor.redact_tree(blocks)
    times = []
    for blocks in messages:
        started = time.perf_counter()
        redactor.redact_tree(blocks)
        times.append((time.perf_counter() - started) * 1000)
    strings = sum(json.dumps(m).count('"text"') for m in messages) / len(messages)
    print(
        f"redact_tree of {len(messages)} header-sized messages (~{strings:.0f} texts each):"
        f" median {statistics.median(times):.3f} ms, p95"
        f" {sorted(times)[int(len(times) * 0.95)]:.3f} ms, total {sum(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
