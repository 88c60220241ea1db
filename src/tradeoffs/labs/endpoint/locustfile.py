"""Locust user for the endpoint lab. Run by :func:`tradeoffs.labs.endpoint.load.run_locust`
as a subprocess only: importing Locust patches the standard library with gevent.

Each simulated visitor walks through a shared, seeded request trace (a JSON file named by
$TRADEOFFS_LOAD_TRACE: a list of [path, expected status, name]). Between requests it
thinks for an exponential time of mean 1 / $TRADEOFFS_LOAD_RATE_PER_USER seconds, so that
visitors do not fire in lockstep; without that variable it is a closed loop with no think
time. A response with any other status than the expected one is a failure.

Locust rounds response times before it computes percentiles; so that the lab can compute
exact ones (with a confidence interval), every request's own sample ([name, response time
in ms, succeeded]) is written as JSON to $TRADEOFFS_LOAD_SAMPLES when Locust quits.
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import HttpUser, events, task

with open(os.environ["TRADEOFFS_LOAD_TRACE"], encoding="utf-8") as _fh:
    TRACE: list[list] = json.load(_fh)
_NEXT = itertools.count()
_RATE = float(os.environ.get("TRADEOFFS_LOAD_RATE_PER_USER", "0"))
_RNG = random.Random(0)
_SAMPLES: list[list] = []


@events.request.add_listener
def _record(name: str, response_time: float, exception: object = None, **_kw: object) -> None:
    _SAMPLES.append([name, float(response_time), exception is None])


@events.quitting.add_listener
def _dump(**_kw: object) -> None:
    path = os.environ.get("TRADEOFFS_LOAD_SAMPLES")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(_SAMPLES, fh)


class ShopUser(HttpUser):
    def wait_time(self) -> float:
        return _RNG.expovariate(_RATE) if _RATE > 0 else 0.0

    @task
    def get_user(self) -> None:
        path, expected, name = TRACE[next(_NEXT) % len(TRACE)]
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != expected:
                response.failure(f"status {response.status_code}, expected {expected}")
            else:
                response.success()
