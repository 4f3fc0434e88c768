"""The helper module of analysis.ipynb, imported from the notebook's folder."""


def parse_price(text: str) -> float:
    """A price such as "$3.50" or "4" as a number; anything else is a ValueError."""
    return float(text.strip().removeprefix("$"))


def mean_price(prices: list[float]) -> float:
    return sum(prices) / len(prices)
