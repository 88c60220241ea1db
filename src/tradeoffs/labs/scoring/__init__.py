"""The nightly risk-scoring job of exercise 02: a different slow program to profile.

:mod:`.data` makes seeded transactions, merchants and a merchant-category tree;
:mod:`.slow` is the job as first written (it returns each account's risk exposure and the
SHA-256 of an audit log); :mod:`.exercise` holds what the graded tests compare answers
with. The optimised version is the learner's to write.
"""

from tradeoffs.labs.scoring.data import Category, Merchant, ScoringData, Transaction, make_data
from tradeoffs.labs.scoring.exercise import profile_top
from tradeoffs.labs.scoring.slow import score_accounts

__all__ = [
    "Category",
    "Merchant",
    "ScoringData",
    "Transaction",
    "make_data",
    "profile_top",
    "score_accounts",
]
