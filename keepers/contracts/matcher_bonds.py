"""MatcherBonds: matchers' bonds and challenges of dominated matches (docs/matching-accountability.md)."""

from __future__ import annotations

from keepers.contracts.base import ContractWrapper
from keepers.contracts.transact import Transact


class MatcherBonds(ContractWrapper):
    def is_matcher(self, account: str) -> bool:
        return self._call("isMatcher", account)

    def bond_of(self, account: str) -> tuple[int, int, int, int]:
        """(amount, unbonding, unbondingReadyAt, id)."""
        return tuple(self._call("bondOf", account))

    def match_terms_of(self, account: str) -> tuple[int, int, int]:
        """(matcher id, exposure cap, window seconds): what the lease market lets `account` match
        (reverts, as `MatcherBonds_NotBonded`, when it may not match)."""
        return tuple(self._call("matchTermsOf", account))

    def params(self) -> tuple[int, int, int, int, int]:
        """(minBond, challengerReward, challengeWindowSeconds, unbondingDelaySeconds, graceSeconds)."""
        return tuple(self._call("params"))

    def bond(self, amount: int) -> Transact:
        return self._transact("bond", amount)

    def request_unbond(self, amount: int) -> Transact:
        return self._transact("requestUnbond", amount)

    def withdraw_unbonded(self) -> Transact:
        return self._transact("withdrawUnbonded")

    def challenge_match(self, lease_id: int, offer_id: int) -> Transact:
        return self._transact("challengeMatch", lease_id, offer_id)
