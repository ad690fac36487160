"""Teacher LLM access: client, cache, accounting, local server. Generators never see HTTP."""

from bayling_data.teacher.client import Reply, Teacher
from bayling_data.teacher.errors import (
    BudgetExceeded,
    TeacherAuthError,
    TeacherError,
    TeacherRefusing,
    TeacherRequestFailed,
    TeacherUnreachable,
    TeacherUnusable,
)

__all__ = [
    "BudgetExceeded",
    "Reply",
    "Teacher",
    "TeacherAuthError",
    "TeacherError",
    "TeacherRefusing",
    "TeacherRequestFailed",
    "TeacherUnreachable",
    "TeacherUnusable",
]
