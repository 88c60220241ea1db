"""Optional: a small neural network as a third point on the trade-off curve (PyTorch).

PyTorch is not a dependency of the course (its wheels are large); everything here
imports it lazily, and :func:`torch_available` says whether it can be used. The lesson
and the tests skip this part when it is not installed.

:func:`train_mlp` fits a two-layer perceptron (standardised inputs, ReLU, sigmoid output)
with Adam on the training period; :class:`TorchMLP` scores one row or a matrix with
``torch.inference_mode`` on one thread; :func:`profile_one_row` runs the PyTorch
profiler over a few one-row calls and returns its operator table, which shows how much
of a call is framework dispatch rather than arithmetic.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["TorchMLP", "profile_one_row", "torch_available", "train_mlp"]


def torch_available() -> bool:
    """True if PyTorch can be imported here."""
    return importlib.util.find_spec("torch") is not None


def _torch() -> Any:
    if not torch_available():
        raise RuntimeError("PyTorch is not installed: pip install torch (optional part)")
    import torch

    return torch


@dataclass(frozen=True)
class TorchMLP:
    """A trained perceptron and the scaling of its inputs."""

    module: Any
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        torch = _torch()
        Z = ((np.asarray(X, dtype=np.float64) - self.mean) / self.scale).astype(np.float32)
        with torch.inference_mode():
            out = self.module(torch.from_numpy(Z)).squeeze(-1)
        return out.numpy().astype(np.float64)

    def predict_one(self, x: NDArray[np.float64]) -> float:
        return float(self.predict(np.asarray(x, dtype=np.float64).reshape(1, -1))[0])


def train_mlp(
    X: NDArray[np.float64],
    y: NDArray[np.bool_],
    hidden: int = 32,
    epochs: int = 8,
    batch_size: int = 512,
    seed: int = 0,
) -> TorchMLP:
    """Fit the perceptron with Adam and binary cross-entropy on one thread."""
    torch = _torch()
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    X = np.asarray(X, dtype=np.float64)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = torch.from_numpy(((X - mean) / scale).astype(np.float32))
    t = torch.from_numpy(np.asarray(y, dtype=np.float32))
    module = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 1),
        torch.nn.Sigmoid(),
    )
    optimiser = torch.optim.Adam(module.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCELoss()
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(Z.shape[0], generator=generator)
        for start in range(0, Z.shape[0], batch_size):
            idx = order[start : start + batch_size]
            optimiser.zero_grad()
            loss = loss_fn(module(Z[idx]).squeeze(-1), t[idx])
            loss.backward()
            optimiser.step()
    module.eval()
    return TorchMLP(module, mean, scale)


def profile_one_row(model: TorchMLP, x: NDArray[np.float64], calls: int = 50) -> str:
    """The PyTorch profiler's operator table over ``calls`` one-row calls (CPU time)."""
    _torch()
    from torch.profiler import ProfilerActivity, profile

    model.predict_one(x)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            model.predict_one(x)
    return str(prof.key_averages().table(sort_by="cpu_time_total", row_limit=8))
