"""The fraud lab (unit 06): choose a fraud model under a 100 ms budget.

Modules: :mod:`.simulate` (the seeded transaction simulator and its fraud scenarios),
:mod:`.features` (online features with a label delay, and the same offline),
:mod:`.data` (the time-based train / validation / delay / test split), :mod:`.models`
(logistic regression, gradient boosting, a random forest, and lean inference paths),
:mod:`.costs` (the cost model, thresholds, Bayes-risk decisions), :mod:`.latency`
(one-row latency as a service calls a model, batch throughput, overhead),
:mod:`.cascade` (fast model first, slow model for the uncertain band),
:mod:`.evaluate` (average precision, precision@k, card precision@k, intervals over
seeds), :mod:`.study` (the whole comparison and the cost-accuracy-latency matrix),
:mod:`.roi` (the interview question's ROI table), :mod:`.tradeoff` (the panel's
computation), :mod:`.service` (the HTTP scoring service), :mod:`.load` (Locust load
tests of it), :mod:`.neural` (optional, with PyTorch) and :mod:`.exercise` (fixtures of
the graded exercise). The Locust user lives in ``locustfile.py`` and is only ever loaded
by Locust itself, in a subprocess.
"""

from tradeoffs.labs.fraud.cascade import Cascade, cascade_flags, choose_band, combined_latency_ms
from tradeoffs.labs.fraud.costs import (
    CostBreakdown,
    CostModel,
    bayes_flags,
    bayes_threshold,
    best_threshold,
    cost_breakdown,
    expected_cost,
    infra_usd,
)
from tradeoffs.labs.fraud.data import Dataset, Split, SplitConfig, make_dataset
from tradeoffs.labs.fraud.evaluate import (
    Interval,
    average_precision,
    card_precision_at_k,
    mean_interval,
    paired_interval,
    precision_at_k,
)
from tradeoffs.labs.fraud.features import FEATURES, OnlineFeatures, offline_features
from tradeoffs.labs.fraud.latency import (
    LatencyStats,
    Scorer,
    batch_throughput,
    interleaved_latency,
    lean_scorer,
    measure_calls,
    overhead_split,
    profile_one_call,
    sklearn_scorer,
)
from tradeoffs.labs.fraud.models import (
    MODEL_NAMES,
    FlatForest,
    LeanLogistic,
    fraud_probability,
    train_model,
)
from tradeoffs.labs.fraud.roi import roi_table, roi_text, segment_decisions
from tradeoffs.labs.fraud.service import ServiceConfig, create_scoring_app
from tradeoffs.labs.fraud.simulate import SCENARIOS, SimConfig, Transactions, simulate
from tradeoffs.labs.fraud.study import (
    MatrixRow,
    Study,
    matrix_table,
    over_seeds,
    pareto_front,
    train_study,
)
from tradeoffs.labs.fraud.tradeoff import TradeoffData, fraud_tradeoff

__all__ = [
    "FEATURES",
    "MODEL_NAMES",
    "SCENARIOS",
    "Cascade",
    "CostBreakdown",
    "CostModel",
    "Dataset",
    "FlatForest",
    "Interval",
    "LatencyStats",
    "LeanLogistic",
    "MatrixRow",
    "OnlineFeatures",
    "Scorer",
    "ServiceConfig",
    "SimConfig",
    "Split",
    "SplitConfig",
    "Study",
    "TradeoffData",
    "Transactions",
    "average_precision",
    "batch_throughput",
    "bayes_flags",
    "bayes_threshold",
    "best_threshold",
    "card_precision_at_k",
    "cascade_flags",
    "choose_band",
    "combined_latency_ms",
    "cost_breakdown",
    "create_scoring_app",
    "expected_cost",
    "fraud_probability",
    "fraud_tradeoff",
    "infra_usd",
    "interleaved_latency",
    "lean_scorer",
    "make_dataset",
    "matrix_table",
    "mean_interval",
    "measure_calls",
    "offline_features",
    "over_seeds",
    "overhead_split",
    "paired_interval",
    "pareto_front",
    "precision_at_k",
    "profile_one_call",
    "roi_table",
    "roi_text",
    "segment_decisions",
    "simulate",
    "sklearn_scorer",
    "train_model",
    "train_study",
]
