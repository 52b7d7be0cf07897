"""The retry policy on its own: which failures are retried for which methods, how long it waits.

No sockets: Retrying runs fake attempt functions that raise httpx's exceptions or httpql.ApiError,
and the policy's sleep is a recorder, so every wait is observed exactly.
"""

from __future__ import annotations

import email.utils
import random
import ssl
import time
from dataclasses import replace

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import httpql
from httpql.http.retry import (
    GATEWAY_STATUSES,
    IDEMPOTENT,
    Retrying,
    RetryPolicy,
    retry_after_seconds,
)
from httpql.plan import Request

URL = "https://api.example.com/client/v4/accounts/a/realtime/kit/b/meetings/m/livestreams"
HINT = "see whether meeting m is live with GET .../meetings/m/active-livestream"
NON_IDEMPOTENT = ("POST", "PATCH")
ALL_METHODS = tuple(sorted(IDEMPOTENT)) + NON_IDEMPOTENT


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def policy(**kw) -> tuple[RetryPolicy, Sleeps]:
    sleeps = Sleeps()
    return RetryPolicy(**{"sleep": sleeps, **kw}), sleeps


def request(method: str = "POST", hint: str | None = HINT) -> Request:
    return Request(method=method, url=URL, operation="start_livestreaming_a_meeting",
                   outcome_hint=hint)


def api_error(status: int, retry_after: str | None = None) -> httpql.ApiError:
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    return httpql.ApiError(f"start_livestreaming_a_meeting failed: HTTP {status}: x",
                           status=status, api_message="x", headers=headers)


def failing(*errors, result="ok"):
    """An attempt function raising each error in turn (the last one forever, if no result)."""
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        if result is None:
            raise errors[-1]
        return result

    attempt.calls = calls
    return attempt


def always(error_factory):
    calls = []

    def attempt():
        calls.append(1)
        raise error_factory()

    attempt.calls = calls
    return attempt


def _fake_req() -> httpx.Request:
    return httpx.Request("POST", URL)


# Failures where nothing was sent: retried for every method.
NOTHING_SENT = {
    "ConnectError": lambda: httpx.ConnectError("[Errno 111] Connection refused", request=_fake_req()),
    "ConnectTimeout": lambda: httpx.ConnectTimeout("timed out", request=_fake_req()),
    "PoolTimeout": lambda: httpx.PoolTimeout("no free connection", request=_fake_req()),
}
# Failures after the request may have been acted on: retried only for idempotent methods.
MAYBE_ACTED = {
    "ReadTimeout": lambda: httpx.ReadTimeout("timed out", request=_fake_req()),
    "WriteTimeout": lambda: httpx.WriteTimeout("timed out", request=_fake_req()),
    "RemoteProtocolError": lambda: httpx.RemoteProtocolError(
        "Server disconnected without sending a response.", request=_fake_req()),
    "ReadError": lambda: httpx.ReadError("[Errno 104] Connection reset by peer", request=_fake_req()),
    "WriteError": lambda: httpx.WriteError("[Errno 32] Broken pipe", request=_fake_req()),
    "HTTP 502": lambda: api_error(502),
    "HTTP 503": lambda: api_error(503),
    "HTTP 504": lambda: api_error(504),
}
# Definite answers: never retried.
NOT_RETRIED = (400, 401, 403, 404, 405, 409, 422, 500, 501, 505)


# --- which failures are retried ------------------------------------------------------------------


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("kind", sorted(NOTHING_SENT))
def test_nothing_sent_is_retried_for_every_method(kind, method):
    pol, sleeps = policy(base_delay=0.01)
    attempt = always(NOTHING_SENT[kind])
    r = Retrying(pol, request(method))
    with pytest.raises(httpql.OperationalError) as info:
        r.run(attempt)
    err = info.value
    assert not isinstance(err, httpql.OutcomeUnknownError)
    assert len(attempt.calls) == r.attempts == pol.max_attempts == 3
    assert len(sleeps) == 2
    text = str(err)
    assert "start_livestreaming_a_meeting" in text
    assert "could not connect to api.example.com:" in text
    assert "nothing was sent" in text
    assert "gave up after 3 attempt(s)" in text


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("kind", sorted(NOTHING_SENT))
def test_nothing_sent_then_success(kind, method):
    pol, sleeps = policy(base_delay=0.01)
    attempt = failing(NOTHING_SENT[kind]())
    r = Retrying(pol, request(method))
    assert r.run(attempt) == "ok"
    assert r.attempts == 2 and len(sleeps) == 1


@pytest.mark.parametrize("method", NON_IDEMPOTENT)
@pytest.mark.parametrize("kind", sorted(MAYBE_ACTED))
def test_maybe_acted_is_not_retried_for_post(kind, method):
    pol, sleeps = policy()
    attempt = always(MAYBE_ACTED[kind])
    r = Retrying(pol, request(method))
    with pytest.raises(httpql.OutcomeUnknownError) as info:
        r.run(attempt)
    err = info.value
    assert len(attempt.calls) == r.attempts == 1
    assert sleeps == []
    text = str(err)
    assert text.startswith("start_livestreaming_a_meeting: ")
    assert "not retried" in text and "outcome is unknown" in text
    assert HINT in text
    assert f"The {method} may have been acted on" in text
    assert isinstance(err, httpql.OperationalError)
    if kind.startswith("HTTP"):
        status = int(kind.split()[1])
        assert err.status == status and f"HTTP {status}" in text
    else:
        assert err.status is None
    assert err.__suppress_context__  # no chained httpx traceback


def test_outcome_unknown_without_a_hint_says_how_to_check():
    attempt = always(MAYBE_ACTED["HTTP 503"])
    with pytest.raises(httpql.OutcomeUnknownError, match="check the resource's state"):
        Retrying(policy()[0], request("POST", hint=None)).run(attempt)


@pytest.mark.parametrize("method", sorted(IDEMPOTENT))
@pytest.mark.parametrize("kind", sorted(MAYBE_ACTED))
def test_maybe_acted_is_retried_for_idempotent_methods(kind, method):
    pol, sleeps = policy(base_delay=0.01)
    attempt = always(MAYBE_ACTED[kind])
    r = Retrying(pol, request(method))
    with pytest.raises(httpql.Error) as info:
        r.run(attempt)
    err = info.value
    assert not isinstance(err, httpql.OutcomeUnknownError)
    assert len(attempt.calls) == 3 and len(sleeps) == 2
    assert "gave up after 3 attempt(s)" in str(err)
    if kind.startswith("HTTP"):
        assert isinstance(err, httpql.ApiError) and err.status == int(kind.split()[1])
    else:
        assert isinstance(err, httpql.OperationalError)
        assert str(err).startswith("start_livestreaming_a_meeting: ")


@pytest.mark.parametrize("method", sorted(IDEMPOTENT))
@pytest.mark.parametrize("kind", sorted(MAYBE_ACTED))
def test_idempotent_retry_then_success(kind, method):
    pol, sleeps = policy(base_delay=0.01)
    r = Retrying(pol, request(method))
    assert r.run(failing(MAYBE_ACTED[kind](), MAYBE_ACTED[kind]())) == "ok"
    assert r.attempts == 3 and len(sleeps) == 2


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("status", NOT_RETRIED)
def test_definite_answers_are_never_retried(status, method):
    pol, sleeps = policy()
    attempt = always(lambda: api_error(status, retry_after="1"))
    r = Retrying(pol, request(method))
    with pytest.raises(httpql.ApiError) as info:
        r.run(attempt)
    assert info.value.status == status
    assert len(attempt.calls) == 1 and sleeps == []
    assert "gave up" not in str(info.value)


@pytest.mark.parametrize("method", ALL_METHODS)
def test_429_is_retried_for_every_method(method):
    pol, sleeps = policy()
    attempt = always(lambda: api_error(429, retry_after="2"))
    r = Retrying(pol, request(method))
    with pytest.raises(httpql.ApiError) as info:
        r.run(attempt)
    assert not isinstance(info.value, httpql.OutcomeUnknownError)
    assert info.value.status == 429
    assert len(attempt.calls) == 3
    assert sleeps == [2.0, 2.0]
    assert "gave up after 3 attempt(s)" in str(info.value)


def test_429_then_success_waits_retry_after():
    pol, sleeps = policy()
    r = Retrying(pol, request("POST"))
    assert r.run(failing(api_error(429, "3"))) == "ok"
    assert sleeps == [3.0] and r.attempts == 2 and r.waited == 3.0


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", ["UnsupportedProtocol", "LocalProtocolError"])
def test_requests_refused_before_sending_say_nothing_was_sent(kind, method):
    pol, sleeps = policy()
    exc = getattr(httpx, kind)("Illegal header value b'Bearer cf-secret-1'")
    attempt = always(lambda: exc)
    with pytest.raises(httpql.OperationalError) as info:
        Retrying(pol, request(method)).run(attempt)
    assert not isinstance(info.value, httpql.OutcomeUnknownError)
    assert "nothing was sent" in str(info.value) and "cf-secret-1" not in str(info.value)
    assert len(attempt.calls) == 1 and sleeps == []


@pytest.mark.parametrize("kind", ["DecodingError", "TooManyRedirects"])
def test_an_answer_that_cannot_be_read_is_not_retried_and_a_post_is_hedged(kind):
    for method, hedged in (("GET", False), ("POST", True)):
        pol, sleeps = policy()
        exc = getattr(httpx, kind)("something odd", request=_fake_req())
        attempt = always(lambda exc=exc: exc)
        with pytest.raises(httpql.OperationalError) as info:
            Retrying(pol, request(method)).run(attempt)
        assert "start_livestreaming_a_meeting: " in str(info.value)
        assert isinstance(info.value, httpql.OutcomeUnknownError) is hedged
        assert len(attempt.calls) == 1 and sleeps == []


# --- attempts ------------------------------------------------------------------------------------


def test_defaults():
    p = RetryPolicy()
    assert (p.max_attempts, p.base_delay, p.max_delay, p.max_total) == (3, 0.5, 20.0, 60.0)
    assert GATEWAY_STATUSES == {502, 503, 504}
    assert "POST" not in IDEMPOTENT and "PATCH" not in IDEMPOTENT
    assert {"GET", "PUT", "DELETE", "HEAD", "OPTIONS"} <= IDEMPOTENT


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_max_attempts_counts_the_first(attempts):
    pol, sleeps = policy(max_attempts=attempts, base_delay=0.001)
    attempt = always(lambda: api_error(429))
    with pytest.raises(httpql.ApiError, match=rf"gave up after {attempts} attempt\(s\)"):
        Retrying(pol, request("GET")).run(attempt)
    assert len(attempt.calls) == attempts and len(sleeps) == attempts - 1


def test_connect_options_shape_the_policy():
    with httpql.connect(token="t", retries=0, retry_max_wait=0.25, retry_budget=1.5) as conn:
        p = conn._client().retry
        assert (p.max_attempts, p.max_delay, p.max_total) == (1, 0.25, 1.5)
    with httpql.connect(token="t") as conn:
        p = conn._client().retry
        assert (p.max_attempts, p.base_delay, p.max_delay, p.max_total) == (3, 0.5, 20.0, 60.0)


# --- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("5", 5.0), (" 7 ", 7.0), ("0", 0.0), ("1.5", 1.5), ("-3", None), ("120", 120.0),
    (None, None), ("", None), ("soon", None), ("5 seconds", None), ("Wed, 99 Foo 2015", None),
])
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date():
    now = 1_445_412_480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now - 120) == pytest.approx(120)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == pytest.approx(0)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now + 60) == 0.0  # past
    # obsolete RFC 850 / asctime forms are still HTTP dates
    assert retry_after_seconds("Wednesday, 21-Oct-15 07:28:00 GMT", now=now - 30) == pytest.approx(30)
    assert retry_after_seconds("Wed Oct 21 07:28:00 2015", now=now - 30) == pytest.approx(30)


def test_retry_after_http_date_uses_the_clock():
    future = email.utils.formatdate(timeval=time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds(future) <= 31


def test_retry_after_date_drives_the_wait():
    future = email.utils.formatdate(timeval=time.time() + 8, usegmt=True)
    pol, sleeps = policy()
    Retrying(pol, request("POST")).run(failing(api_error(429, future)))
    assert len(sleeps) == 1 and 6 <= sleeps[0] <= 9


def test_429_without_retry_after_backs_off_with_jitter():
    pol, sleeps = policy(base_delay=0.5, max_attempts=4)
    random.seed(1)
    attempt = always(lambda: api_error(429))
    with pytest.raises(httpql.ApiError):
        Retrying(pol, request("POST")).run(attempt)
    assert len(sleeps) == 3
    for i, s in enumerate(sleeps, 1):
        assert 0 <= s <= 0.5 * 2 ** (i - 1)


@pytest.mark.parametrize("value", ["bogus", "", "nan"])
def test_unusable_retry_after_falls_back_to_a_bounded_wait(value):
    pol, sleeps = policy(base_delay=0.5, max_delay=20)
    Retrying(pol, request("POST")).run(failing(api_error(429, value)))
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 20


# --- caps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["3600", "21"])
def test_a_retry_after_longer_than_the_longest_wait_gives_up_and_says_so(asked):
    pol, sleeps = policy(max_delay=20.0)
    attempt = always(lambda: api_error(429, asked))
    with pytest.raises(httpql.ApiError) as info:
        Retrying(pol, request("POST")).run(attempt)
    assert sleeps == [] and len(attempt.calls) == 1
    assert f"asked to wait {asked} s" in str(info.value) and "--retry-max-wait" in str(info.value)


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "1_0", "1e3", "0x10", ""])
def test_retry_after_that_is_not_delta_seconds_or_a_date_is_ignored(value):
    assert retry_after_seconds(value) is None


def test_an_http_date_without_a_zone_is_gmt(monkeypatch):
    now = 1_800_000_000.0
    when = email.utils.formatdate(now + 30, usegmt=True).replace("GMT", "-0000")
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert retry_after_seconds(when, now=now) == pytest.approx(30, abs=1)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_retry_after_on_a_503_to_a_get_is_honoured():
    pol, sleeps = policy(max_delay=20.0)
    Retrying(pol, request("GET")).run(failing(api_error(503, "2")))
    assert sleeps == [2.0]


def test_total_budget_stops_retrying_before_a_wait_that_would_pass_it():
    pol, sleeps = policy(max_delay=20.0, max_total=25.0, max_attempts=10)
    attempt = always(lambda: api_error(429, "20"))
    with pytest.raises(httpql.ApiError) as info:
        Retrying(pol, request("POST")).run(attempt)
    assert sleeps == [20.0]
    assert len(attempt.calls) == 2
    assert "retry budget" in str(info.value) and "25s" in str(info.value)
    assert info.value.status == 429


def test_a_single_wait_over_the_budget_is_not_taken():
    pol, sleeps = policy(max_delay=20.0, max_total=5.0)
    attempt = always(lambda: api_error(429, "10"))
    with pytest.raises(httpql.ApiError, match="retry budget"):
        Retrying(pol, request("GET")).run(attempt)
    assert sleeps == [] and len(attempt.calls) == 1


def test_backoff_is_exponential_and_capped(monkeypatch):
    pol = RetryPolicy(base_delay=0.5, max_delay=20.0)
    monkeypatch.setattr(random, "uniform", lambda lo, hi: hi)  # the top of each jitter range
    assert [pol.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0]
    monkeypatch.setattr(random, "uniform", lambda lo, hi: lo)
    assert pol.backoff(5) == 0.0


def test_backoff_jitter_spreads_over_the_range():
    pol = RetryPolicy(base_delay=1.0, max_delay=20.0)
    random.seed(7)
    draws = [pol.backoff(3) for _ in range(400)]
    assert all(0 <= d <= 4.0 for d in draws)
    assert min(draws) < 0.5 and max(draws) > 3.5  # full jitter, not a fixed wait


_FAILURES = st.sampled_from(
    [lambda: api_error(429, None), lambda: api_error(429, "1"), lambda: api_error(429, "30"),
     lambda: api_error(429, "inf"), lambda: api_error(503), lambda: api_error(500),
     NOTHING_SENT["ConnectError"], MAYBE_ACTED["ReadTimeout"], MAYBE_ACTED["RemoteProtocolError"]])


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(ALL_METHODS),
    max_attempts=st.integers(1, 6),
    base_delay=st.floats(0, 5),
    max_delay=st.floats(0, 30),
    max_total=st.floats(0, 90),
    failures=st.lists(_FAILURES, min_size=0, max_size=8),
)
def test_waits_never_pass_the_caps(method, max_attempts, base_delay, max_delay, max_total,
                                   failures):
    pol, sleeps = policy(max_attempts=max_attempts, base_delay=base_delay, max_delay=max_delay,
                         max_total=max_total)
    errors = [f() for f in failures]
    attempt = failing(*errors) if errors else (lambda: "ok")
    r = Retrying(pol, request(method))
    try:
        r.run(attempt)
    except httpql.Error as e:
        assert str(e)
        if isinstance(e, httpql.OutcomeUnknownError):
            assert method in NON_IDEMPOTENT
    assert r.attempts <= max_attempts
    assert len(sleeps) == r.attempts - 1  # one wait before each retry, none after giving up
    assert all(0 <= s <= max_delay for s in sleeps)
    assert sum(sleeps) <= max_total + 1e-9
    if method in NON_IDEMPOTENT:
        # a POST is only ever sent again after a 429 or a failure to connect
        for err in errors[: r.attempts - 1]:
            assert (isinstance(err, httpql.ApiError) and err.status == 429) or isinstance(
                err, httpx.ConnectError)


def test_policy_is_immutable_and_replaceable():
    p = RetryPolicy()
    with pytest.raises(AttributeError):
        p.max_attempts = 9  # type: ignore[misc]
    assert replace(p, max_attempts=9).max_attempts == 9


# --- the total timeout ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_wait_runs_past_the_total_timeout(method):
    """A 429 asking for 5 s when 1 s of the request's total time is left: give up now, and say
    why, rather than sleep past the deadline."""
    pol, sleeps = policy(max_delay=30.0)
    attempt = always(lambda: api_error(429, retry_after="5"))
    r = Retrying(pol, request(method), deadline=time.monotonic() + 1.0)
    with pytest.raises(httpql.ApiError) as info:
        r.run(attempt)
    assert len(attempt.calls) == 1 and sleeps == []
    assert "total timeout" in str(info.value)


def test_a_certificate_that_fails_verification_is_not_retried():
    pol, sleeps = policy()

    def attempt():
        attempt.calls.append(1)
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
        except ssl.SSLError as cause:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]") from cause

    attempt.calls = []
    with pytest.raises(httpql.OperationalError) as info:
        Retrying(pol, request("POST")).run(attempt)
    assert len(attempt.calls) == 1 and sleeps == []
    assert "TLS certificate" in str(info.value) and "nothing was sent" in str(info.value)
