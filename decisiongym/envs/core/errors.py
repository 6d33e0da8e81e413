"""The error types every family raises, each with a message a user can act on."""

from __future__ import annotations


class DecisionGymError(Exception):
    """Base class of every error the library raises on purpose."""


class InstanceFormatError(DecisionGymError, ValueError):
    """A problem file or in-memory instance is malformed.

    ``file`` and ``line`` locate the fault (``line`` is 1-based, ``None`` when the fault is not
    tied to one line); ``expected`` says what should have been there.
    """

    def __init__(self, expected: str, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.expected = expected
        where = ""
        if file is not None:
            where = f"{file}, line {line}: " if line is not None else f"{file}: "
        super().__init__(f"{where}{expected}")


class InvalidActionError(DecisionGymError, ValueError):
    """An action the environment cannot carry out in its current state."""

    def __init__(self, action: object, reason: str) -> None:
        self.action = action
        self.reason = reason
        super().__init__(f"invalid action {action!r}: {reason}")


class ValidationError(DecisionGymError, AssertionError):
    """A solution breaks a constraint of its instance.

    ``constraint`` names the kind of constraint (``"precedence"``, ``"no-overlap"``...) and
    ``operands`` the elements involved, so a caller can point at them.
    """

    def __init__(self, constraint: str, operands: tuple[object, ...], detail: str) -> None:
        self.constraint = constraint
        self.operands = operands
        super().__init__(f"{constraint} violated: {detail}")


class CheckpointError(DecisionGymError, ValueError):
    """A file given as an agent's checkpoint is not one this library can read: not a torch file,
    another kind of checkpoint, or another version of this one."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class InputError(DecisionGymError, ValueError):
    """A value given to the library that it cannot use: a command-line flag, a function's
    argument, an unknown name, or a size beyond a documented limit.

    ``field`` names the flag or argument at fault (``"--jobs"``, ``"warmup_jobs"``), ``None``
    when the message names it alone.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field is not None else message)


class PathError(DecisionGymError, OSError):
    """A path given to the library that it cannot read from or write to: missing, a folder
    where a file is expected (or the reverse), unreadable, or in a folder that does not exist.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class MissingFileError(PathError, FileNotFoundError):
    """A file the library was asked to read does not exist."""


class OutputPathError(PathError):
    """A path given for the library to write to cannot take the output: a folder where a file
    is expected, a file where a folder is expected, or a folder that does not exist. Raised
    before any work starts, so a run never ends with nowhere to put its result."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        OSError.__init__(self, f"{path} {reason}")
