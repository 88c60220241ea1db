"""Figures and panel of unit 06, the exercise's fixtures, and the optional PyTorch part."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from tradeoffs.labs.fraud import (
    CostModel,
    SimConfig,
    SplitConfig,
    TradeoffData,
    exercise,
    fraud_tradeoff,
    make_dataset,
    measure_calls,
    train_study,
)
from tradeoffs.labs.fraud.neural import torch_available
from tradeoffs.widgets.fraud import (
    fraud_panel,
    plot_days,
    plot_latency,
    plot_pareto,
    plot_threshold_costs,
    plot_tradeoff,
)


@pytest.fixture(scope="module")
def study():
    split = SplitConfig(burn_in_days=7, train_days=14, val_days=7, delay_days=7, test_days=7)
    dataset = make_dataset(SimConfig(n_customers=300, n_terminals=600), seed=1, split=split)
    return train_study(dataset, CostModel(), ("logistic", "forest"), progress=False)


def _data(study) -> TradeoffData:
    return TradeoffData(
        fast_scores=study.test_scores["logistic"],
        slow_scores=study.test_scores["forest"],
        y=study.dataset.test.y,
        amount_usd=study.dataset.test.amount_usd,
        fast_ms=np.full(50, 0.01),
        slow_ms=np.full(50, 2.0),
        fast_cpu_ms=0.01,
        slow_cpu_ms=2.0,
    )


def test_figures_draw_headless(study) -> None:
    fig, axes = plt.subplots(2, 3)
    plot_days(study.dataset.transactions, axes[0, 0])
    val = study.dataset.val
    plot_threshold_costs(
        {"logistic": study.val_scores["logistic"]}, val.y, val.amount_usd, study.costs,
        axes[0, 1], {"logistic": study.threshold("logistic")},
    )  # fmt: skip
    lat = {"lr": measure_calls(study.scorers["logistic lean"].one, study.dataset.test.X, 30)}
    plot_latency(lat, axes[0, 2])
    rows = [
        study.row("lr", study.flags("logistic", "best"), lat["lr"], study.test_scores["logistic"])
    ]
    plot_pareto(rows, axes[1, 0])
    plot_tradeoff(fraud_tradeoff(_data(study)), (axes[1, 1], axes[1, 2]))
    assert axes[1, 0].get_xscale() == "log"
    plt.close(fig)


def test_panel_has_the_five_sliders_and_redraws(study) -> None:
    panel = fraud_panel(_data(study))
    assert isinstance(panel, widgets.VBox)
    sliders = panel.children[:-1]
    assert [w.description for w in sliders] == [
        "review cost ($)",
        "fraud loss share",
        "transactions per day",
        "threshold",
        "escalation band",
    ]
    sliders[0].value = 12.0
    sliders[4].value = (0.02, 0.4)
    plt.close("all")


def test_exercise_fixtures_are_plain_data() -> None:
    small = exercise.small_cost_case()
    assert {k: v.dtype.kind for k, v in small.items()} == {
        "scores": "f",
        "is_fraud": "b",
        "amount_usd": "f",
    }
    for name in ("default", "cheap review", "half loss"):
        assert isinstance(exercise.costs_for(name), CostModel)
    with pytest.raises(ValueError):
        exercise.costs_for("free")
    # The reference choice: cheapest within the budget, None when nothing meets it.
    y = np.array([True, False, False, False])
    amounts = np.array([100.0, 10.0, 10.0, 10.0])
    cand = {
        "never": {"scores": np.zeros(4), "latency_ms": np.full(100, 0.001), "cpu_ms": 0.0},
        "slow good": {"scores": y * 1.0, "latency_ms": np.full(100, 50.0), "cpu_ms": 5.0},
    }
    case = {"candidates": cand, "is_fraud": y, "amount_usd": amounts}
    assert exercise.reference_choice(case, 100.0, CostModel()) == "slow good"
    assert exercise.reference_choice(case, 10.0, CostModel()) == "never"
    assert exercise.reference_choice(case, 0.0, CostModel()) is None


@pytest.mark.skipif(not torch_available(), reason="PyTorch is not installed (optional)")
def test_optional_mlp_scores_and_profiles(study) -> None:
    from tradeoffs.labs.fraud.neural import profile_one_row, train_mlp

    mlp = train_mlp(study.dataset.train.X, study.dataset.train.y, epochs=2)
    p = mlp.predict(study.dataset.test.X[:100])
    assert p.shape == (100,) and ((p >= 0) & (p <= 1)).all()
    assert mlp.predict_one(study.dataset.test.X[0]) == pytest.approx(p[0], abs=1e-6)
    assert "Name" in profile_one_row(mlp, study.dataset.test.X[0], calls=5)


def test_neural_part_says_clearly_when_torch_is_missing() -> None:
    if torch_available():
        pytest.skip("PyTorch is installed here")
    from tradeoffs.labs.fraud.neural import train_mlp

    with pytest.raises(RuntimeError, match="PyTorch is not installed"):
        train_mlp(np.zeros((4, 2)), np.array([0, 1, 0, 1], dtype=bool))
