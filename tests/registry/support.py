"""Constants and struct builders shared by the registry tests."""

from keepers.contracts.types import Outcome, SkipReason, SlashReason

from helpers import USD, ZERO_ADDRESS, b32

EU_WEST = b32("eu-west")
US_EAST = b32("us-east")
METADATA_URI = "https://gpu.example.org/provider.json"
STAKE = 10_000 * USD  # five H100 units of collateral
OFFER_UNITS = 8
OFFER_PRICE = 2 * USD  # per unit per hour
OFFER_MAX_DURATION = 30 * 86_400

# The contracts' enums (keepers/contracts/types.py) under the short names these tests use;
# unpacking fails when a Solidity enum gains or loses a member.
(
    NONE,
    REQUEST_NOT_OPEN,
    REQUEST_EXPIRED,
    OFFER_UNKNOWN,
    OFFER_INACTIVE,
    PROVIDER_IS_TENANT,
    MODEL_MISMATCH,
    TIER_TOO_LOW,
    REGION_MISMATCH,
    REPUTATION_TOO_LOW,
    PRICE_TOO_HIGH,
    DURATION_TOO_LONG,
    UNITS_UNAVAILABLE,
    STAKE_INSUFFICIENT,
    JOB_MARKET_UNSET,
    JOB_TERMS_UNPUBLISHED,
    JOB_TERMS_REFUSED,
    PROVIDER_EXCLUDED,
    EXPOSURE_CAP,
) = SkipReason
LIVENESS, LATE_RESULT, DISPUTE_LOST = SlashReason
OUTCOME_NONE, LEASE_COMPLETED, JOB_FINALIZED, LIVENESS_ANSWERED = Outcome


def make_terms(default_tenant, **overrides):
    """MatchTerms as a tuple in struct order; defaults fit the offer fixture exactly."""
    terms = {
        "tenant": str(default_tenant),
        "gpuModel": b32("nvidia-h100-80gb"),
        "region": EU_WEST,
        "maxPricePerUnitHour": OFFER_PRICE,
        "durationSeconds": 86_400,
        "units": 2,
        "minVramGB": 0,
        "minReputation": 0,
        "minTier": 0,
    }
    terms.update(overrides)
    return tuple(terms.values())


def settlement(provider, offer_id, units, collateral):
    return (provider.address if hasattr(provider, "address") else provider, offer_id, units, collateral)


def slash_order(amount, reason, whistleblower=ZERO_ADDRESS, tenant=ZERO_ADDRESS):
    return (amount, reason, whistleblower, tenant)
