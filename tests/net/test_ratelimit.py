"""The token bucket matches its formula exactly, and the limiter is the policy over two buckets."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.net.ratelimit import RateLimiter, RateLimitError, Reduction, TokenBucket, token_bucket


class RealBucket:
    """The textbook bucket on exact rationals: b = min(size, b + elapsed * size / refill_time)."""

    def __init__(self, size: int, burst: int, refill_time: int) -> None:
        self.size, self.burst, self.refill_time = size, burst, refill_time
        self.level = Fraction(size)
        self.last = 0

    def reduce(self, tokens: int, now: int) -> bool:
        if now > self.last:
            self.level = min(
                Fraction(self.size), self.level + Fraction((now - self.last) * self.size, self.refill_time)
            )
            self.last = now
        if tokens == 0:
            return True  # nothing to pay, even in debt
        from_burst = min(tokens, self.burst)
        rest = tokens - from_burst
        if rest <= self.level or (rest > self.size and self.level == self.size):
            self.burst -= from_burst
            self.level -= rest
            return True
        return False


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 5000),
    burst=st.integers(0, 3000),
    refill_time=st.integers(1, 100_000),
    calls=st.lists(st.tuples(st.integers(0, 50_000), st.integers(0, 6000)), max_size=40),
)
def test_bucket_matches_the_real_valued_formula(size, burst, refill_time, calls):
    bucket, real = TokenBucket(size, burst, refill_time), RealBucket(size, burst, refill_time)
    now = 0
    for dt, tokens in calls:
        now += dt
        assert (bucket.reduce(tokens, now) is not Reduction.FAILURE) == real.reduce(tokens, now)
        assert bucket.one_time_burst == real.burst
        # the integer state is the real bucket: whole tokens, and the fraction kept in `carry`
        assert bucket.budget + Fraction(bucket._carry, refill_time) == real.level


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 10_000), refill_time=st.integers(1, 10_000_000), t=st.integers(0, 20_000_000))
def test_an_emptied_bucket_refills_by_the_closed_formula(size, refill_time, t):
    bucket = TokenBucket(size, 0, refill_time)
    assert bucket.reduce(size, 0) is Reduction.SUCCESS
    available = min(size, t * size // refill_time)
    if available < size:
        assert bucket.reduce(available + 1, t) is Reduction.FAILURE
    assert bucket.reduce(available, t) is Reduction.SUCCESS


def test_refill_keeps_fractions_across_many_small_steps():
    # 3 tokens per 10 units, asked every unit: 30 tokens over 100 units, not 0 (rounding each step).
    bucket = TokenBucket(3, 0, 10)
    bucket.reduce(3, 0)
    taken = sum(bucket.reduce(1, t) is Reduction.SUCCESS for t in range(1, 101))
    assert taken == 30


def test_one_time_burst_is_spent_first_and_never_refills():
    bucket = TokenBucket(10, 25, 100)
    assert bucket.reduce(20, 0) is Reduction.SUCCESS
    assert (bucket.one_time_burst, bucket.budget) == (5, 10)
    assert bucket.reduce(12, 0) is Reduction.SUCCESS  # 5 from the burst, 7 from the budget
    assert (bucket.one_time_burst, bucket.budget) == (0, 3)
    bucket.reduce(0, 10_000)
    assert (bucket.one_time_burst, bucket.budget) == (0, 10)


def test_over_consumption_only_from_a_full_bucket_then_debt():
    bucket = TokenBucket(100, 0, 100)  # 1 token per clock unit
    assert bucket.reduce(250, 0) is Reduction.OVER_CONSUMPTION
    assert bucket.budget == -150
    assert bucket.reduce(1, 150) is Reduction.FAILURE  # debt repaid, bucket empty
    assert bucket.reduce(1, 151) is Reduction.SUCCESS
    assert bucket.reduce(250, 200) is Reduction.FAILURE  # not full: a big request waits


def test_disabled_buckets_are_absent():
    assert token_bucket(0, 10, 100) is None
    assert token_bucket(10, 10, 0) is None
    with pytest.raises(RateLimitError, match="absent"):
        TokenBucket(0, 0, 100)
    limiter = RateLimiter()
    assert not limiter.enabled
    assert all(limiter.consume(10**6, 0) for _ in range(1000))


def test_limiter_charges_both_buckets_atomically():
    limiter = RateLimiter(bytes=TokenBucket(1000, 0, 1000), ops=TokenBucket(5, 0, 1000))
    assert limiter.consume(600, 0)
    assert not limiter.consume(600, 0)  # bytes refuse: the op must not be charged either
    assert limiter.ops.budget == 4
    for _ in range(4):
        assert limiter.consume(10, 0)
    assert not limiter.consume(1, 0)  # ops exhausted
    assert limiter.bytes.budget == 360
    assert (limiter.passed, limiter.refused) == (5, 2)


def test_fresh_limiter_has_full_buckets_and_same_config():
    limiter = RateLimiter(ops=TokenBucket(2, 1, 50))
    limiter.consume(1, 0)
    limiter.consume(1, 0)
    copy = limiter.fresh(now=7)
    assert (copy.ops.size, copy.ops.one_time_burst, copy.ops.budget, copy.ops.last_update) == (2, 1, 2, 7)
    assert copy.bytes is None


def test_from_spec_uses_firecrackers_api_shape():
    limiter = RateLimiter.from_spec(
        {
            "bandwidth": {"size": 1514, "refill_time": 1000},
            "ops": {"size": 4, "one_time_burst": 2, "refill_time": 9},
        }
    )
    assert limiter is not None
    assert (limiter.bytes.size, limiter.bytes.refill_time, limiter.ops.one_time_burst) == (1514, 1000, 2)
    assert RateLimiter.from_spec({"ops": {"size": 0, "refill_time": 10}}) is None
    assert RateLimiter.from_spec(None) is None
    with pytest.raises(RateLimitError, match="unknown"):
        RateLimiter.from_spec({"bandwith": {}})
