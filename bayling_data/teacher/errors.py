"""Errors of the teacher layer. Fatal ones stop a run cleanly (resumable); the rest reject one record."""


class TeacherError(RuntimeError):
    """A fatal teacher problem: the run stops, keeps what it has and can be resumed."""


class TeacherAuthError(TeacherError):
    """The endpoint refused the API key (401/403)."""


class TeacherUnreachable(TeacherError):
    """The endpoint cannot be reached (connection refused, DNS, timeouts on every attempt)."""


class TeacherRefusing(TeacherError):
    """The endpoint refused many requests in a row with a 4xx that retrying cannot change (a wrong model name,
    a parameter it does not take, a prompt its model cannot read)."""


class TeacherUnusable(TeacherError):
    """The endpoint answered many requests in a row with nothing usable (no choices, content null, tool calls
    only, not JSON, too large): paying on would buy nothing."""


class BudgetExceeded(TeacherError):
    """A `--max-cost` / `--max-requests` / `--max-tokens` budget is used up."""


class TeacherRequestFailed(Exception):
    """One request failed after all retries (or cannot succeed); only its record is lost."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
