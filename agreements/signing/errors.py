"""The errors of the signing package. Their messages are German and meant for the user (or the operator)."""


class SigningError(Exception):
    """A signature was refused (order, field already signed, certificate expired or revoked, ...)."""


class KeyConfigError(SigningError):
    """A party's key configuration is incomplete or its secret is missing or wrong."""
