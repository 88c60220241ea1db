"""Locust user for the fraud scoring service. Run by
:func:`tradeoffs.labs.fraud.load.run_scoring_load` as a subprocess only: importing Locust
patches the standard library with gevent.

The trace ($TRADEOFFS_LOAD_TRACE, JSON) is a list of [body text, expected status, name,
lane]. Simulated user number ``u`` of ``$TRADEOFFS_LOAD_LANES`` replays, in order, the
entries whose lane is ``u``: the trace puts all of a customer's transactions in one
lane, so each customer's payments reach the service in time order, as they would from
one card; a user whose entries are used up stops. Between requests a user thinks for an
exponential time of mean 1 / $TRADEOFFS_LOAD_RATE_PER_USER seconds (no think time
without it). A response with another status than the expected one is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import HttpUser, task
from locust.exception import StopUser

with open(os.environ["TRADEOFFS_LOAD_TRACE"], encoding="utf-8") as _fh:
    _TRACE: list[list] = json.load(_fh)
_LANES = int(os.environ.get("TRADEOFFS_LOAD_LANES", "1"))
_BY_LANE = [[e for e in _TRACE if int(e[3]) % _LANES == lane] for lane in range(_LANES)]
_RATE = float(os.environ.get("TRADEOFFS_LOAD_RATE_PER_USER", "0"))
_NEXT_LANE = itertools.count()
_RNG = random.Random(0)
_HEADERS = {"content-type": "application/json"}


class CardHolders(HttpUser):
    def on_start(self) -> None:
        lane = next(_NEXT_LANE) % _LANES
        self.entries = iter(_BY_LANE[lane])

    def wait_time(self) -> float:
        return _RNG.expovariate(_RATE) if _RATE > 0 else 0.0

    @task
    def score(self) -> None:
        entry = next(self.entries, None)
        if entry is None:  # this lane's card holders have paid: replaying would go back in time
            raise StopUser()
        body, expected, name, _lane = entry
        with self.client.post(
            "/score", data=body, headers=_HEADERS, name=name, catch_response=True
        ) as response:
            if response.status_code != expected:
                response.failure(f"status {response.status_code}, expected {expected}")
            else:
                response.success()
