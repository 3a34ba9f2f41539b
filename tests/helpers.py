"""Small helpers shared by the contract tests."""

import brownie


def reverts_with(error_name: str):
    """Expects a revert with the custom error `error_name`, whatever its arguments.

    brownie renders a decoded custom error as `Name` or `Name: arg, arg`.
    """
    return brownie.reverts(revert_pattern=rf"{error_name}(: .*)?")


def event_args(tx, name: str, index: int = 0) -> dict:
    """The arguments of the `index`-th event `name` of a transaction, as a plain dict."""
    assert name in tx.events, f"event {name} not emitted; got {list(tx.events.keys())}"
    return dict(tx.events[name][index])
