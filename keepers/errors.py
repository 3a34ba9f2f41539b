"""Errors a keeper reports to its operator as one readable line."""


class KeeperError(Exception):
    """Base of every error whose str is a complete, one-line message for the operator."""


class ConfigError(KeeperError):
    """The configuration file or its environment overrides are invalid."""


class DeploymentError(KeeperError):
    """The deployment file is unreadable or belongs to another chain."""


class AccountError(KeeperError):
    """The signing key cannot be loaded."""


class InsufficientFunds(KeeperError):
    """The account cannot pay for the transaction's gas; nothing was sent and no nonce was used."""

    def __init__(self, label: str, address: str, balance: int, needed: int | None) -> None:
        self.label = label
        self.balance = balance
        self.needed = needed
        need = f"needs up to {needed} wei" if needed is not None else "the node refused it for lack of funds"
        super().__init__(
            f"{label}: not sent, account {address} cannot pay for gas: balance {balance} wei, {need}; "
            "send it ether and the keeper resumes"
        )
