"""Fraud score for a payment, as a function-mode handler (Python).

Loaded once per runtime; `handle` is called per task with the payload bytes and a context.
Returns a dict (JSON in the result's returnValue). Module-level state (the country table, the
per-runtime counter) persists between calls of one runtime, as in any function platform.
"""
import json

HIGH_RISK = {"KP", "IR", "SY"}
calls_served = 0


def handle(payload: bytes, ctx):
    global calls_served
    calls_served += 1
    tx = json.loads(payload)
    amount = int(tx["amount"])
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    score = min(100, amount // 10_000)
    if tx.get("country") in HIGH_RISK:
        score = 100
    return {"id": tx.get("id"), "score": score, "review": score >= 80, "attempt": ctx.attempt}
