"""The market's books, recomputed from the chain: flows, counts, gas and the conservation check.

Every figure comes from events and balances read back from the chain, never
from what the demo driver believes it did. Used by the demo (reports/demo.json)
and by the tests that check the demo's accounting.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from eth_utils import function_abi_to_4byte_selector
from web3 import Web3
from web3.contract import Contract

from keepers.contracts.job_market import JobMarket
from keepers.contracts.market import LeaseMarket
from keepers.contracts.registry import ProviderRegistry
from keepers.contracts.types import CloseReason, DisputeResult, SlashReason

SOLVER_SLASH_REASONS = {SlashReason.LATE_RESULT, SlashReason.DISPUTE_LOST}
# Close reasons whose settle bounty goes back to the tenant (it closed, or the provider
# reclaimed); for the others a settler earned it.
BOUNTY_BACK_TO_TENANT = {CloseReason.TENANT, CloseReason.PROVIDER_RECLAIM}


@dataclass
class ChainEvents:
    """Every event of the protocol's contracts, decoded, in chain order."""

    by_name: dict[str, list[dict]]

    @classmethod
    def read(cls, w3: Web3, contracts: list[Contract], from_block: int) -> ChainEvents:
        by_name: dict[str, list[dict]] = defaultdict(list)
        to_block = w3.eth.block_number
        for contract in contracts:
            for item in contract.abi:
                if item.get("type") != "event":
                    continue
                event = getattr(contract.events, item["name"])
                for log in event.get_logs(from_block=from_block, to_block=to_block):
                    by_name[item["name"]].append(dict(log["args"]) | {"_address": log["address"]})
        return cls(dict(by_name))

    def __getitem__(self, name: str) -> list[dict]:
        return self.by_name.get(name, [])

    def total(self, name: str, field: str) -> int:
        return sum(event[field] for event in self[name])


def gas_by_operation(w3: Web3, contracts: list[Contract], from_block: int) -> dict[str, dict[str, int]]:
    """Per function called on our contracts: calls, total gas and mean gas (receipts' gasUsed)."""
    selectors = {}
    for contract in contracts:
        for item in contract.abi:
            if item.get("type") == "function":
                selector = "0x" + function_abi_to_4byte_selector(item).hex()
                selectors[(contract.address.lower(), selector)] = item["name"]
    calls: Counter = Counter()
    gas: Counter = Counter()
    for number in range(from_block, w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if tx["to"] is None:
                continue
            name = selectors.get((tx["to"].lower(), "0x" + bytes(tx["input"][:4]).hex()))
            if name is None:
                continue
            calls[name] += 1
            gas[name] += w3.eth.get_transaction_receipt(tx["hash"])["gasUsed"]
    return {
        name: {"calls": calls[name], "total_gas": gas[name], "mean_gas": gas[name] // calls[name]}
        for name in sorted(calls)
    }


@dataclass
class JobFlows:
    """The JobMarket's payment-token flows, from its events (slashes are stake, paid by the registry)."""

    inflow: int  # escrows handed over by the LeaseMarket, verifier (claim), challenge and arbiter bonds
    outflow: int  # every payout of finalize, expire, dispute resolution, bond forfeits, arbiter claims
    owed: int  # open jobs' escrow, claims' and open disputes' bonds, arbiters' unclaimed pay, the pool
    refunded_to_tenants: int
    to_treasury: int
    pool: int = 0  # the verifier pool: levies of unverified jobs and silent claimants' bonds, less sampled pay

    @classmethod
    def of(cls, events: ChainEvents) -> JobFlows:
        escrow = {e["jobId"]: e["escrow"] for e in events["JobOpened"]}
        # A verifier's bond comes in with its claim (claimAndAttest claims with `Attested` alone); only
        # the claimant attests valid. A bond taken from the verifier's credit counts in here too:
        # the credit it came from is counted out (`job_market_credits`).
        verifier_bond = {e["jobId"]: e["bond"] for e in events["VerificationClaimed"]}
        for e in events["Attested"]:
            if e["valid"] and e["jobId"] not in verifier_bond:
                verifier_bond[e["jobId"]] = e["bond"]
        attested_valid = {e["jobId"] for e in events["Attested"] if e["valid"]}
        dispute_bond = {(e["jobId"], e["number"]): e["bond"] for e in events["DisputeOpened"]}
        # Arbiter votes: bonds in; a decided vote moves `fee` of the challenger's bond to the
        # committee and accrues `dust`; the arbiters' claims go out.
        arbiter_fee = {(e["jobId"], e["number"]): e["fee"] for e in events["VoteTallied"]}
        arbiter_bonds = events.total("StepVoted", "bond")
        dust = events.total("VoteTallied", "dust")
        arbiter_paid = events.total("ArbiterPaid", "amount")
        inflow = sum(escrow.values()) + sum(verifier_bond.values()) + sum(dispute_bond.values()) + arbiter_bonds
        ended: set[int] = set()
        outflow = refunded = to_treasury = pool = 0
        for e in events["JobFinalized"]:
            ended.add(e["jobId"])
            # The levy joins the pool, which pays the sampled verifier; the claimant's bond goes back
            # when it attested valid, else to the pool.
            outflow += e["toProvider"] + e["protocolFee"] + e["toVerifier"]
            pool += e["verifierLevy"] - e["toVerifier"]
            if e["jobId"] in attested_valid:
                outflow += verifier_bond.get(e["jobId"], 0)
            else:
                pool += verifier_bond.get(e["jobId"], 0)
            to_treasury += e["protocolFee"]
        for e in events["JobExpired"]:
            ended.add(e["jobId"])
            outflow += e["refunded"]
            refunded += e["refunded"]
        settled_bonds = set()
        for e in events["DisputeResolved"]:
            settled_bonds.add((e["jobId"], e["number"]))
            if e["result"] != DisputeResult.CHALLENGER_WON:
                continue  # the bond's split is in ChallengerBondForfeited (a void included)
            ended.add(e["jobId"])
            # The tenant's escrow, the challenger's bond, and the claimant's bond: split by
            # VerifierBondForfeited when it attested valid, else back to it.
            key = (e["jobId"], e["number"])
            outflow += escrow[e["jobId"]] + dispute_bond[key] - arbiter_fee.get(key, 0)
            outflow += verifier_bond.get(e["jobId"], 0)
            refunded += escrow[e["jobId"]]
        for e in events["ChallengerBondForfeited"]:
            outflow += e["toDefender"] + e["toTreasury"]
            to_treasury += e["toTreasury"]
        to_treasury += events.total("VerifierBondForfeited", "toTreasury") + dust
        outflow += dust + arbiter_paid
        owed = sum(amount for job_id, amount in escrow.items() if job_id not in ended)
        owed += sum(amount for job_id, amount in verifier_bond.items() if job_id not in ended)
        owed += sum(amount for key, amount in dispute_bond.items() if key not in settled_bonds)
        owed += arbiter_bonds + sum(arbiter_fee.values()) - dust - arbiter_paid
        owed += pool
        return cls(inflow, outflow, owed, refunded, to_treasury, pool)


def conservation(
    events: ChainEvents, market: Contract, registry: Contract, job_market: Contract, token_balance
) -> dict[str, bool]:
    """The identities that say every token is accounted for.

    - market: what came in (deposits, top-ups, bonds) equals what went out (provider pay,
      fees, refunds, bounties, match fees, bonds back or paid to providers, escrows handed
      to the job market) plus what it holds besides its accrued protocol fees;
    - job market: escrows received plus bonds, minus every payout its events record, equals
      its balance less its accrued protocol fees, which equals what its open jobs still hold;
    - protocol fees: each market's fees from its events, less what it swept to the treasury,
      equal its `accruedFees()`;
    - registry: its token balance equals the recorded total stake, which equals stakes in
      minus unstaked out minus slashed;
    - slashes: each slash split exactly into whistleblower, tenant and treasury shares.
    """
    # A re-opened request's deposit was counted out with its failed lease's close (refund, and the
    # bounty when the tenant's) and comes back in as the new request's deposit.
    market_in = (
        events.total("RequestCreated", "deposit")
        + events.total("RequestReopened", "deposit")
        + events.total("LeaseToppedUp", "amount")
        + events.total("LivenessChallenged", "bond")
    )
    closed = events["LeaseClosed"]
    market_out = (
        events.total("RequestCancelled", "refunded")
        + events.total("EarningsWithdrawn", "amount")
        + events.total("EarningsWithdrawn", "fee")
        + sum(e["paid"] + e["fee"] + e["refunded"] + e["bounty"] for e in closed)
        + sum(match_fees(events))
        + events.total("LivenessAnswered", "bond")
        + events.total("LivenessResolved", "bondReturned")
        + events.total("JobHandedOver", "escrow")
    )
    staked = events.total("Staked", "amount")
    unstaked = events.total("UnstakeWithdrawn", "amount")
    slashed = events.total("ProviderSlashed", "slashed")
    slash_split_ok = all(
        e["slashed"] == e["toWhistleblower"] + e["toTenant"] + e["toTreasury"] for e in events["ProviderSlashed"]
    )
    total_stake = ProviderRegistry(registry.w3, registry).total_stake()
    jobs = JobFlows.of(events)
    # Fees count as paid out when they accrue (the treasury's from then on); a sweep moves them
    # from the market's balance to the treasury.
    market_fees = LeaseMarket(market.w3, market).accrued_fees()
    job_market_fees = JobMarket(job_market.w3, job_market).accrued_fees()
    swept = Counter()
    for e in events["FeesSwept"]:
        swept[e["_address"]] += e["amount"]
    lease_fees = events.total("EarningsWithdrawn", "fee") + sum(e["fee"] for e in closed)
    # A payout the market credited instead of sending (every match fee, and any payout the token
    # refused) counts as paid by its event, but the tokens stay in the market until claimed.
    market_credits = sum(e["amount"] for e in events["PaymentCredited"] if e["_address"] == market.address) - sum(
        e["amount"] for e in events["CreditClaimed"] if e["_address"] == market.address
    )
    # The job market credits every sampled verifier's pay and bond (and any refused payout); a claim
    # spends the claimant's credit for its bond when it holds enough.
    job_market_credits = sum(
        e["amount"] for e in events["PaymentCredited"] if e["_address"] == job_market.address
    ) - sum(
        e["amount"]
        for name in ("CreditClaimed", "CreditSpent")
        for e in events[name]
        if e["_address"] == job_market.address
    )
    job_market_balance = token_balance(job_market.address) - job_market_fees - job_market_credits
    return {
        "market_flows_balance": market_in - market_out == token_balance(market.address) - market_fees - market_credits,
        "market_fees_accrued_less_swept": lease_fees - swept[market.address] == market_fees,
        "job_market_flows_balance": jobs.inflow - jobs.outflow == job_market_balance,
        "job_market_holds_what_it_owes": jobs.owed == job_market_balance,
        "job_market_fees_accrued_less_swept": jobs.to_treasury - swept[job_market.address] == job_market_fees,
        "registry_balance_equals_total_stake": token_balance(registry.address) == total_stake,
        "stake_flows_balance": staked - unstaked - slashed == total_stake,
        "slash_splits_exact": slash_split_ok,
    }


def match_fees(events: ChainEvents) -> list[int]:
    """Match fees paid: a request's deposit minus what its lease or job received."""
    deposits = {e["requestId"]: e["deposit"] for e in events["RequestCreated"]}
    deposits.update({e["requestId"]: e["deposit"] for e in events["RequestReopened"]})
    fees = []
    for lease in events["LeaseStarted"]:
        fees.append(deposits[lease["leaseId"]] - lease["balance"] - lease["settleBounty"])
    for job in events["JobHandedOver"]:
        fees.append(deposits[job["requestId"]] - job["escrow"])
    return fees


def summary(events: ChainEvents) -> dict[str, int]:
    closed = events["LeaseClosed"]
    slashes = events["ProviderSlashed"]
    jobs = JobFlows.of(events)
    resolved = events["DisputeResolved"]
    return {
        "providers": len(events["ProviderRegistered"]),
        "requests": len(events["RequestCreated"]),
        "leases_matched": len(events["LeaseStarted"]),
        "requests_reopened": len(events["RequestReopened"]),
        "leases_closed": len(closed),
        "liveness_challenges": len(events["LivenessChallenged"]),
        "liveness_answered": len(events["LivenessAnswered"]),
        "liveness_slashes": sum(1 for e in slashes if e["reason"] == SlashReason.LIVENESS),
        "jobs_matched": len(events["JobOpened"]),
        "jobs_submitted": len(events["ResultSubmitted"]),
        "jobs_finalized": len(events["JobFinalized"]),
        "jobs_failed": len(events["JobExpired"])
        + sum(1 for e in resolved if e["result"] == DisputeResult.CHALLENGER_WON),
        "attestations": len(events["Attested"]),
        "disputes": len(events["DisputeOpened"]),
        "disputes_won_by_challenger": sum(1 for e in resolved if e["result"] == DisputeResult.CHALLENGER_WON),
        "solver_slashes": sum(1 for e in slashes if e["reason"] in SOLVER_SLASH_REASONS),
        "verifier_slashes": len(events["VerifierBondForfeited"]),
        "arbiter_votes": len(events["StepVoted"]),
        "paid_to_providers": (
            events.total("EarningsWithdrawn", "amount")
            + sum(e["paid"] for e in closed)
            + events.total("JobFinalized", "toProvider")
        ),
        "verifier_fees": events.total("JobFinalized", "toVerifier"),
        "verifier_levies": events.total("JobFinalized", "verifierLevy"),
        # Less what re-opened requests took back in: that deposit is refunded (or paid) later.
        "refunded_to_tenants": (
            events.total("RequestCancelled", "refunded")
            + sum(e["refunded"] for e in closed)
            + sum(e["bounty"] for e in closed if e["reason"] in BOUNTY_BACK_TO_TENANT)
            + jobs.refunded_to_tenants
            - events.total("RequestReopened", "deposit")
        ),
        "slashed": sum(e["slashed"] for e in slashes),
        "fees_to_treasury": (
            events.total("EarningsWithdrawn", "fee")
            + sum(e["fee"] for e in closed)
            + sum(e["toTreasury"] for e in slashes)
            + jobs.to_treasury
        ),
        "match_fees_to_matchers": sum(match_fees(events)),
        "bounties_to_settlers": sum(e["bounty"] for e in closed if e["reason"] not in BOUNTY_BACK_TO_TENANT),
    }
