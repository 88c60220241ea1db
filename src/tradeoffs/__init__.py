"""tradeoffs: a course on latency, cost and accuracy trade-offs."""

__version__ = "0.1.0"
