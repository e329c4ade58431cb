"""Token-bucket rate limiting with Firecracker's semantics, clocked by instructions retired.

`TokenBucket` is the mechanism, `RateLimiter` the policy: one optional bucket for
bytes and one for operations (frames, requests). A limiter with neither bucket
lets everything through; a disabled bucket is simply absent (`None`):

    limiter = RateLimiter(bytes=token_bucket(1514, 0, 100_000), ops=token_bucket(10, 5, 100_000))
    if limiter.consume(len(frame), now):   # now = instructions retired, never wall time
        transmit(frame)

As in Firecracker (src/vmm/src/rate_limiter), a bucket has a `size`, an
initial `one_time_burst` that is spent first and never refills, and a
`refill_time` in which an empty bucket refills to `size`; it starts full, and
size 0 or refill_time 0 means "no limit". Where this differs, on purpose:
- the clock is an integer passed to every call, so runs are reproducible;
- refill happens on every call and keeps the fraction of a token not yet
  earned, so the bucket is exactly the textbook one (formula below);
- a request larger than `size` (Firecracker's OverConsumption) succeeds only
  from a full bucket and leaves it in debt, so the long-run rate still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class RateLimitError(ValueError):
    """A bucket configured with values that cannot describe a rate."""


class Reduction(Enum):
    """The outcome of `TokenBucket.reduce`."""

    SUCCESS = "success"
    FAILURE = "failure"
    # More than `size` tokens taken from a full bucket: allowed, but the bucket is now in debt.
    OVER_CONSUMPTION = "over-consumption"


class TokenBucket:
    """Holds up to `size` tokens, refilling `size` tokens per `refill_time` clock units.

    Refill formula, applied at every call with the clock value `now`:

        earned   = (now - last_update) * size + carry
        budget   = min(size, budget + earned // refill_time)
        carry    = earned % refill_time     (0 once the bucket is full)
        last_update = now

    `carry` is the fraction of a token already earned, scaled by refill_time, so
    integer arithmetic loses nothing: budget + carry / refill_time equals the
    real-valued bucket min(size, b + elapsed * size / refill_time) exactly.
    """

    __slots__ = (
        "_carry",
        "budget",
        "last_update",
        "one_time_burst",
        "one_time_burst_initial",
        "refill_time",
        "size",
    )

    def __init__(self, size: int, one_time_burst: int, refill_time: int, *, now: int = 0) -> None:
        if size <= 0 or refill_time <= 0:
            raise RateLimitError(
                f"size {size} / refill_time {refill_time}: a disabled bucket is absent, use token_bucket()"
            )
        if one_time_burst < 0:
            raise RateLimitError(f"one_time_burst {one_time_burst} is negative")
        self.size = size
        self.refill_time = refill_time
        self.one_time_burst_initial = one_time_burst
        self.one_time_burst = one_time_burst
        self.budget = size  # starts full, as Firecracker's does
        self.last_update = now
        self._carry = 0

    def __repr__(self) -> str:
        return (
            f"TokenBucket(size={self.size}, one_time_burst={self.one_time_burst}, "
            f"refill_time={self.refill_time}, budget={self.budget})"
        )

    def refill(self, now: int) -> None:
        """Credit the tokens earned since the last call (see the formula above)."""
        elapsed = now - self.last_update
        if elapsed <= 0:
            return  # a clock that does not advance (or a stale caller) earns nothing
        self.last_update = now
        earned = elapsed * self.size + self._carry
        self.budget += earned // self.refill_time
        self._carry = earned % self.refill_time
        if self.budget >= self.size:
            self.budget = self.size
            self._carry = 0  # a full bucket earns nothing, not even a fraction

    def fits(self, tokens: int) -> bool:
        """Whether `tokens` could be taken now (call `refill` first)."""
        if tokens <= self.one_time_burst:
            return True  # includes 0 tokens, which succeed even in debt
        rest = tokens - self.one_time_burst
        return rest <= self.budget or (rest > self.size and self.budget == self.size)

    def take(self, tokens: int) -> Reduction:
        """Take `tokens`, which must fit: the one-time burst first, then the budget."""
        from_burst = min(tokens, self.one_time_burst)
        self.one_time_burst -= from_burst
        rest = tokens - from_burst
        self.budget -= rest
        return Reduction.OVER_CONSUMPTION if rest > self.size else Reduction.SUCCESS

    def reduce(self, tokens: int, now: int) -> Reduction:
        """Refill, then take `tokens` if they fit; a failure takes nothing. Taking 0 always succeeds."""
        if tokens < 0:
            raise RateLimitError(f"cannot take {tokens} tokens")
        self.refill(now)
        if not self.fits(tokens):
            return Reduction.FAILURE
        return self.take(tokens)

    def force_replenish(self, tokens: int) -> None:
        """Give tokens back (never above `size`), e.g. when the other bucket refused."""
        self.budget = min(self.size, self.budget + tokens)

    def fresh(self, *, now: int = 0) -> TokenBucket:
        """A new bucket with the same configuration, full and with its burst unspent."""
        return TokenBucket(self.size, self.one_time_burst_initial, self.refill_time, now=now)


def token_bucket(size: int, one_time_burst: int, refill_time: int, *, now: int = 0) -> TokenBucket | None:
    """A bucket, or None (no limit) when size or refill_time is 0: Firecracker's `TokenBucket::new`."""
    if size == 0 or refill_time == 0:
        return None
    return TokenBucket(size, one_time_burst, refill_time, now=now)


@dataclass(slots=True)
class RateLimiter:
    """The policy: an operation passes only if both present buckets can pay for it.

    `consume(n_bytes, now)` charges 1 to `ops` and n_bytes to `bytes`, atomically: if
    either refuses, neither is charged. Counters tell a lesson how much was refused.
    """

    bytes: TokenBucket | None = None
    ops: TokenBucket | None = None
    passed: int = 0
    refused: int = 0

    @property
    def enabled(self) -> bool:
        return self.bytes is not None or self.ops is not None

    def consume(self, n_bytes: int, now: int) -> bool:
        buckets = [(b, n) for b, n in ((self.ops, 1), (self.bytes, n_bytes)) if b is not None]
        for bucket, _ in buckets:
            bucket.refill(now)
        if not all(bucket.fits(n) for bucket, n in buckets):
            self.refused += 1
            return False
        for bucket, n in buckets:
            bucket.take(n)
        self.passed += 1
        return True

    def fresh(self, *, now: int = 0) -> RateLimiter:
        """A limiter with the same configuration and full buckets (e.g. one per source address)."""
        return RateLimiter(
            bytes=self.bytes.fresh(now=now) if self.bytes else None,
            ops=self.ops.fresh(now=now) if self.ops else None,
        )

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None, *, now: int = 0) -> RateLimiter | None:
        """Build from Firecracker's API shape, as a scenario's TOML would give it:

        {"bandwidth": {"size": 1514, "one_time_burst": 0, "refill_time": 100000},
         "ops": {"size": 10, "refill_time": 100000}}

        refill_time is in instructions retired. Returns None when nothing is limited.
        """
        if not spec:
            return None
        unknown = set(spec) - {"bandwidth", "ops"}
        if unknown:
            raise RateLimitError(
                f"unknown rate limiter keys {sorted(unknown)}: want 'bandwidth' and/or 'ops'"
            )

        def bucket(key: str) -> TokenBucket | None:
            cfg = spec.get(key)
            if not cfg:
                return None
            extra = set(cfg) - {"size", "one_time_burst", "refill_time"}
            if extra:
                raise RateLimitError(f"unknown {key} bucket keys {sorted(extra)}")
            return token_bucket(
                int(cfg.get("size", 0)),
                int(cfg.get("one_time_burst", 0)),
                int(cfg.get("refill_time", 0)),
                now=now,
            )

        limiter = cls(bytes=bucket("bandwidth"), ops=bucket("ops"))
        return limiter if limiter.enabled else None
