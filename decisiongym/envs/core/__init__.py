"""What the families share: error types, Gantt drawing."""

from decisiongym.envs.core.errors import (
    DecisionGymError,
    InstanceFormatError,
    InvalidActionError,
    ValidationError,
)

__all__ = ["DecisionGymError", "InstanceFormatError", "InvalidActionError", "ValidationError"]
