"""ProviderRegistry: providers, their stake and their offers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web3.types import BlockIdentifier

from keepers.contracts.base import ContractWrapper
from keepers.contracts.transact import Transact


class ProviderRegistry(ContractWrapper):
    # ---------------------------------------------------------------- providers

    def register_provider(self, region: bytes, metadata_uri: str) -> Transact:
        return self._transact("registerProvider", region, metadata_uri)

    def update_provider(self, region: bytes, metadata_uri: str) -> Transact:
        return self._transact("updateProvider", region, metadata_uri)

    def stake(self, amount: int) -> Transact:
        return self._transact("stake", amount)

    def request_unstake(self, amount: int) -> Transact:
        return self._transact("requestUnstake", amount)

    def withdraw_unstaked(self) -> Transact:
        return self._transact("withdrawUnstaked")

    # ---------------------------------------------------------------- offers

    def add_offer(self, gpu_model: bytes, units: int, price_per_unit_hour: int, max_duration_seconds: int) -> Transact:
        return self._transact("addOffer", gpu_model, units, price_per_unit_hour, max_duration_seconds)

    def update_offer(self, offer_id: int, units: int, price_per_unit_hour: int, max_duration_seconds: int) -> Transact:
        return self._transact("updateOffer", offer_id, units, price_per_unit_hour, max_duration_seconds)

    def set_offer_job_policy(self, offer_id: int, steps_per_second: int, min_result_timeout_seconds: int) -> Transact:
        """The jobs the offer takes (docs/verification.md, job policy); 0 steps per second: none."""
        return self._transact("setOfferJobPolicy", offer_id, steps_per_second, min_result_timeout_seconds)

    def pause_offer(self, offer_id: int, paused: bool) -> Transact:
        return self._transact("pauseOffer", offer_id, paused)

    def remove_offer(self, offer_id: int) -> Transact:
        return self._transact("removeOffer", offer_id)

    # ---------------------------------------------------------------- reads

    def provider(self, account: str) -> dict[str, Any]:
        """`Registry.Provider` by field name."""
        return self._struct("provider", account)

    def metadata_uri(self, account: str) -> str:
        return self._call("metadataURI", account)

    def reputation_of(self, account: str) -> int:
        return self._call("reputationOf", account)

    def uptime_of(self, account: str) -> int:
        return self._call("uptimeOf", account)

    def total_stake(self) -> int:
        return self._call("totalStake")

    def offer(self, offer_id: int) -> tuple:
        return self._call("offer", offer_id)

    def max_offer_units(self) -> int:
        return self._call("MAX_OFFER_UNITS")

    def max_offer_duration_seconds(self) -> int:
        return self._call("MAX_OFFER_DURATION_SECONDS")

    def offer_count(self) -> int:
        return self._call("offerCount")

    def check_match(self, offer_id: int, terms: tuple) -> int:
        """The `SkipReason` a match of `Registry.MatchTerms` `terms` with the offer would meet; NONE: it fits."""
        return self._call("checkMatch", offer_id, terms)

    # ---------------------------------------------------------------- batched reads (one block)

    def offers(self, offer_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[tuple]:
        """Raw `Registry.Offer` tuples; `offer_structs` names their fields."""
        return self._batch("offer", offer_ids, block=block)

    def offer_structs(self, offer_ids: Iterable[int], *, block: BlockIdentifier) -> list[dict[str, Any]]:
        return self._structs("offer", offer_ids, block=block)

    def providers(self, accounts: Iterable[str], *, block: BlockIdentifier) -> list[dict[str, Any]]:
        return self._structs("provider", accounts, block=block)

    def reputations(self, accounts: Iterable[str], *, block: BlockIdentifier) -> list[int]:
        return self._batch("reputationOf", accounts, block=block)

    def uptimes(self, accounts: Iterable[str], *, block: BlockIdentifier) -> list[int]:
        return self._batch("uptimeOf", accounts, block=block)

    # ---------------------------------------------------------------- payouts it holds (IPayoutCredits)

    def credit_of(self, owner: str) -> int:
        """What the registry credited `owner` when a transfer to it failed (a slash's share)."""
        return self._call("creditOf", owner)

    def credits_of(self, owners: Iterable[str], *, block: BlockIdentifier = "latest") -> list[int]:
        """`creditOf` of each owner, batched at one block."""
        return self._batch("creditOf", owners, block=block)
