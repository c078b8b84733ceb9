from typing import Any


class ApplicationError(Exception):
    """A domain rule was broken; ``message`` is translated and safe to show.

    Views turn it into a form error, the API into a 400 (or ``status``).
    """

    status = 400

    def __init__(self, message: Any, code: str = "invalid", field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field
