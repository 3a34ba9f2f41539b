"""Errors a keeper reports to its operator as one readable line."""


class KeeperError(Exception):
    """Base of every error whose str is a complete, one-line message for the operator."""


class ConfigError(KeeperError):
    """The configuration file or its environment overrides are invalid."""


class DeploymentError(KeeperError):
    """The deployment file is unreadable or belongs to another chain."""


class AccountError(KeeperError):
    """The signing key cannot be loaded."""
