"""Support for the awkward-token and re-entrancy tests: the whole protocol deployed by
scripts/deploy.py with a hostile token as payment and stake token, contract accounts (Puppets)
as parties, and the books every test checks: what each contract holds against what it owes."""

from __future__ import annotations

from types import SimpleNamespace

import brownie
from brownie import chain

from scripts.deploy import bond_matcher, deploy

from helpers import ANY_JOB, USD, b32, event_args
from jobs.support import HASHCHAIN, HOUR, Trace, make_terms

H100 = b32("nvidia-h100-80gb")
EU_WEST = b32("eu-west")
ZERO32 = "0x" + "00" * 32
MAX_UINT = 2**256 - 1
FUNDS = 1_000_000 * USD
STAKE = 50_000 * USD
OFFER_UNITS = 8
OFFER_PRICE = 2 * USD
UNITS = 2
DURATION = 86_400
# A full day at the offer price, the match fee (0.5 USD) and the settle bounty (0.25 USD).
DEPOSIT = UNITS * OFFER_PRICE * 24 + USD // 2 + USD // 4
JOB_DEPOSIT = 100 * USD + USD // 2
RENTAL, JOB = 0, 1
CATALOGUE = [{"id": "nvidia-h100-80gb", "vram_gb": 80, "tier": 4, "collateral_per_unit": 2_000}]

REENTRANT_CALL = bytes(brownie.web3.keccak(text="ReentrancyGuardReentrantCall()")[:4])


def protocol(token, accounts, stake_token=None, eoa_provider=True, bond=True) -> SimpleNamespace:
    """Deploys the protocol with `token` (and `stake_token`, default the same) and names the parties.

    accounts[2] is the provider: with `eoa_provider`, registered as an EOA with one H100 offer
    (`p.offer`); otherwise left for the caller (the re-entrancy tests drive a Puppet with it). The
    tenant, challenger and stranger are funded EOAs that approved both markets.
    """
    governance, treasury = accounts[0], accounts[1]
    d = deploy(governance, treasury=treasury.address, payment_token=token, stake_token=stake_token, catalogue=CATALOGUE)
    p = SimpleNamespace(
        token=token,
        stake_token=d.stake_token,
        config=d.config,
        registry=d.registry,
        market=d.market,
        job_market=d.job_market,
        matcher_bonds=d.matcher_bonds,
        governance=governance,
        treasury=treasury,
        provider=accounts[2],
        tenant=accounts[4],
        matcher=accounts[5],
        challenger=accounts[6],
        stranger=accounts[7],
        verifier=accounts[8],
    )
    p.config.setRole(p.config.MATCHER_ROLE(), p.matcher, True, {"from": governance})
    if bond:  # MatcherBonds refuses a bond that arrives short, as the markets refuse a deposit
        bond_matcher(p.matcher_bonds, token, p.matcher)
    p.config.setRole(p.config.VERIFIER_ROLE(), p.verifier, True, {"from": governance})
    for account in (p.tenant, p.challenger, p.stranger, p.verifier):
        fund(p, account)
    if eoa_provider:
        p.offer = add_provider(p, p.provider)
    return p


def fund(p, account) -> None:
    """Mints payment tokens to an EOA and approves both markets for them."""
    p.token.mint(account, FUNDS, {"from": account})
    p.token.approve(p.market, MAX_UINT, {"from": account})
    p.token.approve(p.job_market, MAX_UINT, {"from": account})


def as_party(puppet, contract, function: str, *args, sender):
    """Calls `contract.function(*args)` as the contract account `puppet`."""
    data = getattr(contract, function).encode_input(*args)
    return puppet.forward(contract, data, {"from": sender})


def add_provider(p, account=None, puppet=None) -> int:
    """Registers a provider (an EOA, or a Puppet driven by `account`), stakes and lists an offer."""
    registry, stake_token = p.registry, p.stake_token
    if puppet is None:
        registry.registerProvider(EU_WEST, "https://gpu.example.org/p.json", {"from": account})
        stake_token.mint(account, STAKE, {"from": account})
        stake_token.approve(registry, MAX_UINT, {"from": account})
        registry.stake(STAKE, {"from": account})
        tx = registry.addOffer(H100, OFFER_UNITS, OFFER_PRICE, 30 * 86_400, {"from": account})
    else:
        as_party(puppet, registry, "registerProvider", EU_WEST, "https://gpu.example.org/p.json", sender=account)
        stake_token.mint(puppet, STAKE, {"from": account})
        as_party(puppet, stake_token, "approve", registry, MAX_UINT, sender=account)
        as_party(puppet, registry, "stake", STAKE, sender=account)
        tx = as_party(puppet, registry, "addOffer", H100, OFFER_UNITS, OFFER_PRICE, 30 * 86_400, sender=account)
    offer_id = event_args(tx, "OfferAdded")["offerId"]
    # The offer takes every job (docs/verification.md, job policy).
    if puppet is None:
        registry.setOfferJobPolicy(offer_id, *ANY_JOB, {"from": account})
    else:
        as_party(puppet, registry, "setOfferJobPolicy", offer_id, *ANY_JOB, sender=account)
    return offer_id


def rental_spec(**overrides) -> tuple:
    fields = {
        "gpuModel": H100,
        "minVramGB": 0,
        "units": UNITS,
        "region": ZERO32,
        "minTier": 0,
        "minReputation": 0,
        "maxPricePerUnitHour": 3 * USD,
        "maxDurationSeconds": DURATION,
        "matchDeadline": chain[-1].timestamp + HOUR,
        "kind": RENTAL,
        "jobTermsHash": ZERO32,
        "rematch": False,
    }
    fields.update(overrides)
    return tuple(fields.values())


def open_lease(p, offer_id: int, tenant=None) -> int:
    """A running lease of the default spec between `tenant` (default p.tenant) and the offer."""
    tenant = tenant or p.tenant
    request_id = p.market.createRequest(rental_spec(), DEPOSIT, {"from": tenant}).return_value
    p.market.matchRequests([(request_id, offer_id)], {"from": p.matcher})
    return request_id


def open_job(p, offer_id: int, salt: int = 1, tenant=None, tenant_puppet=None):
    """Publishes hashchain terms, posts a JOB request (as `tenant`, or as `tenant_puppet` driven by
    p.tenant) and matches it; returns (job id, terms, honest trace)."""
    terms, input_state = make_terms(HASHCHAIN, 8, salt=salt, result_timeout=HOUR, window=HOUR)
    p.job_market.publishJobTerms(terms, input_state, {"from": p.stranger})
    spec = rental_spec(units=1, kind=JOB, jobTermsHash=p.job_market.hashTerms(terms))
    if tenant_puppet is None:
        request_id = p.market.createRequest(spec, JOB_DEPOSIT, {"from": tenant or p.tenant}).return_value
    else:
        tx = as_party(tenant_puppet, p.market, "createRequest", spec, JOB_DEPOSIT, sender=p.tenant)
        request_id = event_args(tx, "RequestCreated")["requestId"]
    p.market.matchRequests([(request_id, offer_id)], {"from": p.matcher})
    return request_id, terms, Trace.of(HASHCHAIN, input_state, terms[2], 8)


def submit_honest(p, job_id, terms, trace, provider=None, provider_puppet=None, sender=None):
    args = (job_id, terms, trace.output, trace.root, trace.proof(8))
    if provider_puppet is None:
        return p.job_market.submitResult(*args, {"from": provider})
    return as_party(provider_puppet, p.job_market, "submitResult", *args, sender=sender)


def lease_escrow(p) -> int:
    """What the lease market still owes on open requests and running leases."""
    total = 0
    for request_id in range(1, p.market.nextRequestId()):
        order = p.market.getRequest(request_id)
        status, kind, escrow, withdrawn = order[4], order[3], order[5], order[16]
        close_reason, bond = order[13], order[23]
        if status == 1:  # OPEN
            total += escrow
        elif status == 3 and kind == RENTAL and close_reason == 0:  # a running lease
            total += escrow - withdrawn + bond
    return total


def assert_books(p, credited: dict) -> None:
    """Each contract holds exactly what it still owes: the market its open escrow, its credits (the
    matcher's match fees among them) and its accrued protocol fees, the registry its total stake
    and its credits. `credited` maps (contract, account) to the credit the test expects there."""
    for (contract, account), amount in credited.items():
        assert contract.creditOf(account) == amount
    market_credits = sum(a for (c, _), a in credited.items() if c == p.market)
    # Match fees are credited to the matcher (claimed later), not transferred at the match.
    if (p.market, p.matcher) not in credited:
        market_credits += p.market.creditOf(p.matcher)
    registry_credits = sum(a for (c, _), a in credited.items() if c == p.registry)
    assert p.token.balanceOf(p.market) == lease_escrow(p) + market_credits + p.market.accruedFees()
    assert p.stake_token.balanceOf(p.registry) == p.registry.totalStake() + registry_credits


def reentry_refused(token, error_selector: bytes = REENTRANT_CALL) -> bool:
    """Whether the hook token's last re-entry attempt reverted with the error `error_selector`."""
    return token.attempts() > 0 and not token.lastSucceeded() and bytes(token.lastRevertData())[:4] == error_selector


def error_selector(signature: str) -> bytes:
    return bytes(brownie.web3.keccak(text=signature)[:4])


def expect_revert(error_name: str):
    return brownie.reverts(revert_pattern=rf"{error_name}(: .*)?")
