"""The billing domain's one exception."""


class BillingError(Exception):
    """A billing change refused: ``message`` is shown (translated), ``code`` says why."""

    def __init__(self, message, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)
