"""Token, request and cost accounting, and the budgets that stop a run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar

from bayling_data.options import option
from bayling_data.teacher.errors import BudgetExceeded

# USD per million tokens (input, output). Override with --price-in / --price-out.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


@dataclass
class Budget:
    """Limits after which a run stops cleanly (None: no limit)."""

    help_panel: ClassVar[str] = "Budget: the run stops cleanly, resumable, when one is spent"

    max_cost: float | None = option(None, "Stop cleanly when this many USD are spent.", low=0.0, high=1e9)
    max_requests: int | None = option(None, "Stop cleanly after this many teacher requests.", low=1, high=10**12)
    max_tokens: int | None = option(None, "Stop cleanly after this many tokens in+out.", low=1, high=10**15)


@dataclass
class Usage:
    """Counters of one run, shown live and written to the run summary and dataset card."""

    model: str = ""
    price_in: float = 0.0  # USD per million input tokens
    price_out: float = 0.0
    requests: int = 0  # requests sent over the network
    cache_hits: int = 0
    retries: int = 0
    retry_causes: dict[str, int] = field(default_factory=dict)  # why requests were sent again
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_requests: int = 0  # answers whose tokens were estimated from the text (the server sent no usage)
    budget: Budget = field(default_factory=Budget)

    @classmethod
    def for_model(cls, model: str, price_in: float | None, price_out: float | None) -> Usage:
        """Counters priced from the table (or the user's override)."""
        table_in, table_out = PRICES.get(model, (0.0, 0.0))
        return cls(
            model=model,
            price_in=table_in if price_in is None else price_in,
            price_out=table_out if price_out is None else price_out,
        )

    @property
    def cost(self) -> float:
        """Cost in USD of the tokens used so far."""
        return (self.prompt_tokens * self.price_in + self.completion_tokens * self.price_out) / 1e6

    def check_budget(self) -> None:
        """Raise BudgetExceeded when any budget is used up (called before each paid request)."""
        b = self.budget
        if b.max_requests is not None and self.requests >= b.max_requests:
            raise BudgetExceeded(f"--max-requests {b.max_requests} reached")
        if b.max_cost is not None and self.cost >= b.max_cost:
            raise BudgetExceeded(f"--max-cost {b.max_cost} USD reached (spent {self.cost:.4f} USD)")
        if b.max_tokens is not None and self.prompt_tokens + self.completion_tokens >= b.max_tokens:
            raise BudgetExceeded(f"--max-tokens {b.max_tokens} reached")

    def add_tokens(self, prompt: int, completion: int, *, estimated: bool = False) -> None:
        """Count the tokens of one answered request (`estimated`: from its text, the server said nothing)."""
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.estimated_requests += estimated

    def summary(self) -> dict[str, float | int | str]:
        """A JSON-ready summary (no secrets here: nothing of the endpoint's credentials)."""
        data = asdict(self)
        data.pop("budget")
        data["cost_usd"] = round(self.cost, 6)
        return data

    def restore(self, saved: dict) -> None:
        """Continue counting from a resumed run's summary."""
        counters = ("requests", "cache_hits", "retries", "failures", "prompt_tokens", "completion_tokens")
        for name in (*counters, "estimated_requests"):
            setattr(self, name, int(saved.get(name, 0)))
        self.retry_causes = {str(k): int(v) for k, v in (saved.get("retry_causes") or {}).items()}

    def add_retry(self, cause: str) -> None:
        """Count a request sent again, and why (`http_429`, `http_503`, `timeout`, `connection`, `empty_content`,
        `malformed_JSON`, `broken_json`, ...)."""
        self.retries += 1
        self.retry_causes[cause] = self.retry_causes.get(cause, 0) + 1
