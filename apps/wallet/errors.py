"""Wallet errors: each carries a machine-readable code (TigerBeetle-style result codes)."""


class WalletError(ValueError):
    code = "wallet_error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidAmount(WalletError):
    code = "invalid_amount"


class AmountOverflow(WalletError):
    code = "amount_overflow"


class UnknownCurrency(WalletError):
    code = "unknown_currency"


class CurrencyNotAllowed(WalletError):
    code = "currency_not_allowed"


class UnknownPlayer(WalletError):
    code = "unknown_player"
    http_status = 404


class InvalidRequest(WalletError):
    code = "invalid_request"


class InsufficientFunds(WalletError):
    code = "insufficient_funds"
    http_status = 409


class IdempotencyKeyReused(WalletError):
    """The key was used before with different data (TigerBeetle: exists_with_different_*)."""

    code = "idempotency_key_reused"
    http_status = 409


class UnknownReservation(WalletError):
    code = "unknown_reservation"
    http_status = 404


class ReservationClosed(WalletError):
    code = "reservation_closed"
    http_status = 409


class ExternalWalletRefused(WalletError):
    """The operator's wallet refused the movement (external wallet mode)."""

    code = "external_wallet_refused"
    http_status = 409


class ExternalWalletUnavailable(WalletError):
    code = "external_wallet_unavailable"
    http_status = 503
