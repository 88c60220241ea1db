"""The fraud scoring service (unit 06): tiers as configuration, clear 422s for bad input,
never a 500, and a Locust load test it survives."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from tradeoffs.labs.endpoint import serve
from tradeoffs.labs.fraud import (
    CostModel,
    OnlineFeatures,
    ServiceConfig,
    SimConfig,
    SplitConfig,
    create_scoring_app,
    make_dataset,
    train_study,
)
from tradeoffs.labs.fraud.load import BAD_REQUESTS, run_tier, scoring_trace, tier_table

SPLIT = SplitConfig(burn_in_days=14, train_days=14, val_days=7, delay_days=7, test_days=7)


@pytest.fixture(scope="module")
def lab():
    dataset = make_dataset(SimConfig(n_customers=300, n_terminals=600), seed=2, split=SPLIT)
    study = train_study(dataset, CostModel(), ("logistic", "forest"), seed=2, progress=False)
    band, slow_t = study.band("logistic", "forest", 0.05)
    return dataset, study, band, slow_t


def _app(lab, tier="cascade"):
    dataset, study, band, slow_t = lab
    store = OnlineFeatures(SPLIT.delay_days).load_history(dataset.before("test"))
    config = ServiceConfig(tier, band, study.threshold("logistic"), slow_t)
    return create_scoring_app(
        study.scorers["logistic lean"], study.scorers["forest"], store, config
    )


def _body(test, i):
    return {
        "transaction_id": int(test.tx_id[i]),
        "customer_id": int(test.customer_id[i]),
        "terminal_id": int(test.terminal_id[i]),
        "amount_usd": float(test.amount_usd[i]),
        "time_s": int(test.time_s[i]),
    }


def test_scores_match_the_offline_models_on_each_tier(lab) -> None:
    dataset, study, band, slow_t = lab
    test = dataset.period("test")
    for tier in ("fast", "accurate", "cascade"):
        app = _app(lab, tier)
        with serve(app) as server, httpx.Client(base_url=server.url) as client:
            answers = [client.post("/score", json=_body(test, i)).json() for i in range(150)]
            stats = client.get("/stats").json()
        lr, forest = study.test_scores["logistic"][:150], study.test_scores["forest"][:150]
        got = np.array([a["score"] for a in answers])
        paths = [a["path"] for a in answers]
        if tier == "fast":
            np.testing.assert_allclose(got, lr, atol=1e-9)
            assert set(paths) == {"fast"}
        elif tier == "accurate":
            np.testing.assert_allclose(got, forest, atol=1e-9)
            assert set(paths) == {"accurate"}
        else:
            esc = (lr >= band[0]) & (lr < band[1])
            np.testing.assert_allclose(got, np.where(esc, forest, lr), atol=1e-9)
            assert [a["escalated"] for a in answers] == esc.tolist()
            flags = np.where(esc, forest >= slow_t, lr >= band[1])
            assert [a["flag"] for a in answers] == flags.tolist()
            assert stats["escalation_rate"] == pytest.approx(esc.mean())
        assert stats["statuses"] == {"200": 150} and len(stats["latencies_ms"]["all"]) == 150


BAD_BODIES = [
    *(body for _, body in BAD_REQUESTS),
    "",
    "[]",
    "null",
    '{"customer_id": 1, "terminal_id": 2, "amount_usd": 5, "time_s": 1e30}',
    '{"customer_id": -1, "terminal_id": 2, "amount_usd": 5, "time_s": 1}',
    '{"customer_id": 1, "terminal_id": 2, "amount_usd": 0, "time_s": 1}',
    '{"customer_id": 1, "terminal_id": 2, "amount_usd": Infinity, "time_s": 1}',
    '{"customer_id": 99999999999999, "terminal_id": 2, "amount_usd": 5, "time_s": 1}',
    '{"customer_id": 1, "terminal_id": [2], "amount_usd": 5, "time_s": 1}',
    '{"customer_id": "1", "terminal_id": 2, "amount_usd": 5, "time_s": 1}',
    '{"customer_id": 1, "terminal_id": 2, "amount_usd": 5, "time_s": -3}',
    '{"customer_id": 1, "terminal_id": 2, "amount_usd": 5.0, "time_s": 1.5}',
]


def test_bad_input_gets_a_clear_422_never_a_500(lab) -> None:
    dataset, *_ = lab
    test = dataset.period("test")
    app = _app(lab)
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        for body in BAD_BODIES:
            r = client.post("/score", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 422, (body, r.status_code, r.text)
            detail = r.json()["detail"]
            assert detail and all("msg" in d and "loc" in d for d in detail), r.text
        # A customer's payment older than one already seen: 422 with the reason.
        later = _body(test, 10)
        assert client.post("/score", json=later).status_code == 200
        earlier = dict(later, time_s=later["time_s"] - 3600, transaction_id=None)
        r = client.post("/score", json=earlier)
        assert r.status_code == 422 and "time order" in r.json()["detail"]
        # Random garbage of every JSON type.
        rng = np.random.default_rng(0)
        values = [None, True, -1, 0, 1.5, 1e300, "x", [], {}, [1, 2]]
        keys = ["customer_id", "terminal_id", "amount_usd", "time_s", "transaction_id", "zz"]
        for _ in range(60):
            body = {k: values[int(rng.integers(len(values)))] for k in keys if rng.random() < 0.7}
            r = client.post("/score", content=json.dumps(body))
            assert r.status_code in (200, 422), (body, r.status_code, r.text)
        stats = client.get("/stats").json()
    assert "500" not in stats["statuses"]


def test_tier_and_band_are_configuration_changed_at_run_time(lab) -> None:
    app = _app(lab, "fast")
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/config").json()["tier"] == "fast"
        r = client.put("/config", json={"tier": "cascade", "band": [0.01, 0.3]})
        assert r.status_code == 200 and r.json()["band"] == [0.01, 0.3]
        assert client.get("/healthz").json() == {"status": "ok", "tier": "cascade"}
        for change in ({"tier": "slowest"}, {"band": [0.5, 0.1]}, {"band": [0.1]},
                       {"fast_threshold": 2}, {"what": 1}):  # fmt: skip
            assert client.put("/config", json=change).status_code == 422, change
        assert client.get("/config").json()["band"] == [0.01, 0.3]
        assert client.post("/stats/reset").status_code == 200
    with pytest.raises(ValueError):
        ServiceConfig("medium")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ServiceConfig(band=(0.3, 0.1))


def test_the_service_survives_a_locust_load_test_with_bad_requests(lab) -> None:
    dataset, study, band, slow_t = lab
    trace = scoring_trace(dataset, n_requests=2_000, bad_fraction=0.05, lanes=8)
    assert sum(1 for t in trace if t[1] == 422) > 20
    lanes = {}
    for body, status, _, lane in trace:
        if status == 200:
            b = json.loads(body)
            assert lanes.setdefault(b["customer_id"], lane) == lane  # one lane per customer
    result = run_tier(
        dataset, study.scorers["logistic lean"], study.scorers["forest"],
        ServiceConfig("cascade", band, study.threshold("logistic"), slow_t), trace,
        users=8, rate_rps=150, duration_s=3, progress=False,
    )  # fmt: skip
    assert result.locust.requests > 100
    assert result.locust.failures == 0, result.locust.by_name
    assert "500" not in result.statuses and result.statuses.get("422", 0) > 0
    assert result.server_requests == result.statuses["200"]
    assert 0 < result.server_p50_ms <= result.server_p99_ms
    assert "cascade" in tier_table([result])
    with pytest.raises(ValueError):
        scoring_trace(dataset, n_requests=0)
