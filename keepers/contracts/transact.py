"""A contract call not yet sent: what the typed wrappers return and `TransactionSender.send` takes.

pymaker's `Transact`, without the sending: a wrapper builds the call and names the action;
the one sender in keepers/sender.py simulates, signs and sends it. The label is the function's
name in snake_case (`claimTimeout` is `claim_timeout`), so one action has one label in the
metrics, the logs and the journal, whoever sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError


def snake_case(name: str) -> str:
    """`claimTimeout` as `claim_timeout`, `registerProvider` as `register_provider`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass(frozen=True)
class Transact:
    """`function` with its arguments bound, the ether it carries and the action's label."""

    function: ContractFunction
    value: int = 0
    label: str = ""  # empty: the function's name in snake_case

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", snake_case(self.function.fn_name))

    @property
    def contract_abi(self) -> list[dict]:
        return self.function.contract_abi


def simulate(w3, transact: Transact, sender: str, override: dict | None = None) -> None:
    """Runs `transact` as `sender` in an `eth_call` (under `override`, a state override, if given);
    raises `Refused` naming the error it would revert with. Sends nothing."""
    from keepers.contracts.reverts import RevertDecoder  # reverts imports nothing of this module's users

    call = {"from": sender, "to": transact.function.address, "data": transact.function._encode_transaction_data()}
    try:
        w3.eth.call(call, "pending", override)
    except ContractLogicError as error:
        raise RevertDecoder(transact.contract_abi).refusal(transact.label, error, default="reverted") from None
