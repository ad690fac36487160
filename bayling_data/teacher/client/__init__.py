"""The teacher client: transport, cache, rate limits, budgets and accounting, the Batch API; a generator sees
only `Teacher.chat`."""

from bayling_data.teacher.client.teacher import Reply, Teacher, list_models

__all__ = ["Reply", "Teacher", "list_models"]
