"""Small helpers shared by the contract tests."""

import re

import brownie

from keepers.contracts.types import ZERO_ADDRESS  # noqa: F401 -- the tests' one name for it


def reverts_with(error_name: str):
    """Expects a revert with the custom error `error_name`, whatever its arguments.

    brownie renders a decoded custom error as `Name` or `Name: arg, arg`.
    """
    return brownie.reverts(revert_pattern=rf"{error_name}(: .*)?")


def event_args(tx, name: str, index: int = 0) -> dict:
    """The arguments of the `index`-th event `name` of a transaction, as a plain dict."""
    assert name in tx.events, f"event {name} not emitted; got {list(tx.events.keys())}"
    return dict(tx.events[name][index])


USD = 10**6  # one US dollar in 6-decimal token units
BPS = 10_000
DAY = 86_400


def b32(text: str) -> str:
    """A short text as a left-aligned bytes32 hex string, as Solidity's `bytes32("text")`."""
    raw = text.encode()
    assert len(raw) <= 32, text
    return "0x" + raw.ljust(32, b"\0").hex()


def reverts_with_args(error_name: str, *args):
    """Expects a revert with the custom error `error_name` and exactly these arguments.

    Addresses compare in lower case and bytes32 values as Python bytes, as brownie renders them.
    """
    rendered = ", ".join(_render(a) for a in args)
    return brownie.reverts(revert_pattern=re.escape(f"{error_name}: {rendered}"))


def _render(value) -> str:
    if isinstance(value, bytes):
        return repr(bytes(value))
    text = str(value)
    return text.lower() if text.startswith("0x") else text


# A job policy (steps per second, setup seconds) that takes every job the job market accepts: the
# steps of any job take one second at most (docs/verification.md, job policy).
ANY_JOB = (2**32 - 1, 0)


def register_with_offer(
    registry, token, account, *, region, metadata_uri, stake, gpu_model, units, price, max_duration, job_policy=ANY_JOB
):
    """Registers `account` as a provider, stakes `stake` and lists one offer taking the jobs of `job_policy`
    (None: no jobs); returns the offer id."""
    registry.registerProvider(region, metadata_uri, {"from": account})
    token.mint(account, stake, {"from": account})
    token.approve(registry, 2**256 - 1, {"from": account})
    registry.stake(stake, {"from": account})
    offer_id = registry.addOffer(gpu_model, units, price, max_duration, {"from": account}).return_value
    if job_policy is not None:
        registry.setOfferJobPolicy(offer_id, *job_policy, {"from": account})
    return offer_id


# The environment variable keeper test configurations read their key from (not LEASEHOLD_*: those
# override config keys).
KEY_ENV = "KEEPER_TEST_KEY"


def liveness_answer(market, lease_id: int, units: int | None = None, share: float = 1.0):
    """The capacity proof for the lease's open challenge (keepers/liveness.py): the whole work, or
    only `share` of its leaves. The seed is read from LeaseMarket's storage, the units from the lease."""
    from keepers import liveness

    seed = bytes(brownie.web3.eth.get_storage_at(market.address, liveness.seed_slot(lease_id)))
    if units is None:
        names = [field["name"] for field in market.getRequest.abi["outputs"][0]["components"]]
        units = dict(zip(names, market.getRequest(lease_id)))["units"]
    units = max(units, 1)  # an unknown lease: any proof, the call reverts before the check
    return liveness.prove(seed, units) if share >= 1 else liveness.partial(seed, units, share)


def respond_liveness(market, lease_id: int, sender, units: int | None = None):
    """`respondLiveness` with the whole work for the lease's open challenge, sent by `sender`."""
    answer = liveness_answer(market, lease_id, units)
    return market.respondLiveness(lease_id, answer.answer, {"from": sender})
