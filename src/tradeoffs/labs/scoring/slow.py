"""The risk-scoring job as first written.

For every transaction it finds the merchant, works out the risk of the merchant's
category (its own base risk plus half its parent's risk, up to the root), adds
amount x risk to the account's exposure, and writes an audit line. The result is each
account's exposure (in cents, rounded down) and the SHA-256 of the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from tradeoffs.labs.scoring.data import Category, Merchant, Transaction

BP_PER_UNIT = 10_000  # basis points in 1 (100%)


def find_merchant(merchants: Sequence[Merchant], merchant_id: int) -> Merchant:
    """The merchant with `merchant_id`; KeyError when there is none."""
    for merchant in merchants:
        if merchant.merchant_id == merchant_id:
            return merchant
    raise KeyError(merchant_id)


def category_risk(categories: Sequence[Category], category_id: int) -> int:
    """Risk of a category in basis points: its base risk plus half its parent's risk
    (integer division), recursively up to a root category."""
    for category in categories:
        if category.category_id == category_id:
            break
    else:
        raise KeyError(category_id)
    if category.parent_id is None:
        return category.base_risk_bp
    return category.base_risk_bp + category_risk(categories, category.parent_id) // 2


def audit_line(tx: Transaction, risk_bp: int) -> str:
    """One line of the audit log (with its newline)."""
    return f"{tx.tx_id},{tx.account_id},{tx.merchant_id},{tx.amount_cents},{risk_bp}\n"


def score_accounts(
    transactions: Sequence[Transaction],
    merchants: Sequence[Merchant],
    categories: Sequence[Category],
) -> tuple[dict[int, int], str]:
    """({account id: exposure in cents}, SHA-256 hex digest of the audit log).

    Exposure is the sum over the account's transactions of amount x category risk,
    divided by 10,000 (risk is in basis points) and rounded down; accounts are in
    ascending id order. The audit log has one :func:`audit_line` per transaction, in
    transaction order.
    """
    exposure: dict[int, int] = {}
    lines = []
    for tx in transactions:
        merchant = find_merchant(merchants, tx.merchant_id)
        risk_bp = category_risk(categories, merchant.category_id)
        exposure[tx.account_id] = exposure.get(tx.account_id, 0) + tx.amount_cents * risk_bp
        lines.append(audit_line(tx, risk_bp))
    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    return {account: total // BP_PER_UNIT for account, total in sorted(exposure.items())}, digest
