"""The model of the books (ghost state): who holds what, who owes what, and every protocol event
folded in, amounts recomputed rather than trusted.

`Books` is the part of the campaign that keeps the ledger of token balances, the credits the
token's refusals turned payouts into, the protocol fees accrued per market, and the ghost
records of model.py; `_fold` books each event of a transaction the walk sent, and fails the step
(`require`) on any amount or order the model does not expect.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from keepers.contracts.types import MIN_PAID_OUTCOME
from keepers.workloads.base import keccak256
from keepers.workloads.registry import get_workload
from scripts.campaign.constants import HOUR, ZERO
from scripts.campaign.enums import (
    A_INVALID,
    A_VALID,
    BPS,
    C_EXPIRED,
    C_INSOLVENT,
    C_LIVENESS,
    C_RECLAIM,
    C_TENANT,
    CHALLENGER_WON,
    J_DISPUTED,
    J_EXPIRED,
    J_FINALIZABLE,
    J_FINALIZED,
    J_LATE,
    J_MATCHED,
    J_SLASHED,
    J_SUBMITTED,
    K_ACTIVE,
    K_CHALLENGE_OPEN,
    K_NOT_FOUND,
    K_SETTLED,
    L_ACTIVE,
    L_CLOSED,
    L_EXPIRED,
    L_INSOLVENT,
    L_TERMINATED,
    O_JOB_FINALIZED,
    O_LEASE_COMPLETED,
    O_LIVENESS_ANSWERED,
    SOLVER_WON,
    VOIDED,
)
from scripts.campaign.failures import require
from scripts.campaign.functions import INDIRECT
from scripts.campaign.model import Job, Offer, Order, Trace


class Books:
    """The ghost ledger and records, and the folding of events into them (a mixin of Campaign)."""

    # ----------------------------------------------------------------- moving tokens

    def _refuses(self, account: str) -> bool:
        """The token refuses a transfer to or from `account`: blocklisted, or the token paused as a whole."""
        return self.token_paused or account in self.blocked

    def _move(self, payer: str, payee: str, amount: int, *, credit: bool = False) -> None:
        if amount and (credit or self._refuses(payee)) and payer in self.owing and payee not in self.owing:
            # The token refuses the payee, or the contract credits without trying (match fees): the
            # contract keeps the money and owes it as a credit.
            key = (payer, payee)
            self._fresh_credits += self.credits[key] == 0
            self.credits[key] += amount
            self._credited[key] += amount
            self._touched_credits.add(key)
            self._touched.add(payee)
            self.stats.credits += 1
            self.stats.credited += amount
            return
        # Money is conserved through credits while the token halts: nothing moves at all.
        require(not (amount and self.token_paused), f"{amount} moved {payer} -> {payee} while the token is paused")
        self.ledger[payer] -= amount
        self.ledger[payee] += amount
        self._touched.update((payer, payee))

    def _accrue(self, contract: str, amount: int) -> None:
        """A protocol fee (or the treasury's share of a forfeited bond) stays in `contract` until a sweep."""
        # The job market keeps its verifier pool in the fees' slot: the slot is fresh only when both are 0.
        pool = self.pool if contract == self.jm.address else 0
        self._fresh_fees += amount > 0 and self.fees[contract] == 0 and pool == 0
        self.fees[contract] += amount

    def _accrue_with_pool(self, fee: int, into_pool: int, out_of_pool: int) -> None:
        """The job market's fee and pool, moved in one write of their slot (ProtocolFees)."""
        self._fresh_fees += (fee > 0 or into_pool > 0) and self.fees[self.jm.address] == 0 and self.pool == 0
        self.fees[self.jm.address] += fee
        self.pool += into_pool - out_of_pool
        require(self.pool >= 0, f"verifier pool {self.pool}")

    # ----------------------------------------------------------------- event folding

    def _fold(self, tx) -> None:
        slashed_in_tx = "ProviderSlashed" in tx.events
        self._credited = Counter()
        self._spent = Counter()
        self._fresh_credits = 0
        self._fresh_fees = 0
        emitted = Counter()
        spent = Counter()
        for event in tx.events:
            if event.name == "PaymentCredited":
                emitted[(event.address, event["account"])] += event["amount"]
                continue
            if event.name == "CreditSpent":
                spent[(event.address, event["account"])] += event["amount"]
                continue
            if event.name == "CreditClaimed":
                self._on_credit_claimed(event.address, dict(event))
                continue
            if event.name == "FeesSwept":
                self._on_fees_swept(event.address, dict(event))
                continue
            self._book_cheating(event.name, event)  # profits.py, against honest play
            handler = getattr(self, "on_" + event.name, None)
            if handler is None:
                continue
            if event.name == "CollateralReleased" and slashed_in_tx:
                self._slash_release = dict(event)
                continue
            handler(dict(event))
            indirect = [n for n, ev in INDIRECT.items() if ev == event.name]
            for n in indirect:
                self.stats.indirect[n] += 1
        if self._batch_bounty:
            # closeLeases pays the bounties owed to its caller in one payout, after every lease.
            self._move(self.market.address, self._batch_caller, self._batch_bounty)
        # Every refused payout the model expects is credited, to the account and in the amount the
        # model recomputed (per contract and account: one payout may merge two of the model's), and
        # nothing else is.
        require(emitted == +self._credited, f"credited {dict(emitted)}, model {dict(+self._credited)}")
        # A claim's bond comes from the claimant's credit exactly when the model says it holds enough.
        require(spent == +self._spent, f"credit spent {dict(spent)}, model {dict(+self._spent)}")

    def _on_fees_swept(self, contract: str, e: dict) -> None:
        require(e["treasury"] == self.treasury_now, f"swept to {e['treasury']}, treasury {self.treasury_now}")
        require(e["amount"] == self.fees[contract] > 0, f"swept {e['amount']}, accrued {self.fees[contract]}")
        del self.fees[contract]
        self._move(contract, self.treasury_now, e["amount"])

    def _on_credit_claimed(self, contract: str, e: dict) -> None:
        key = (contract, e["account"])
        require(not self._refuses(e["account"]), f"{e['account']} claimed while the token refuses it")
        require(e["amount"] == self.credits[key] > 0, f"claimed {e['amount']}, credit {self.credits[key]}")
        del self.credits[key]
        self._touched_credits.add(key)
        self.ledger[contract] -= e["amount"]
        self.ledger[e["account"]] += e["amount"]
        self._touched.update(key)

    def on_Staked(self, e):
        p = self.providers[e["provider"]]
        p.free += e["amount"]
        self._move(p.account.address, self.registry.address, e["amount"])
        require(e["freeStake"] == p.free, f"Staked freeStake {e['freeStake']} != ghost {p.free}")

    def on_UnstakeRequested(self, e):
        p = self.providers[e["provider"]]
        p.free -= e["amount"]
        p.unbonding += e["amount"]
        p.ready_at = self.ts + self.params["unbondingPeriodSeconds"]
        require(e["unbondingStake"] == p.unbonding and e["readyAt"] == p.ready_at, f"UnstakeRequested {e} vs ghost")

    def on_UnstakeWithdrawn(self, e):
        p = self.providers[e["provider"]]
        # Invariant 8: not before the unbonding period of the latest request has passed.
        require(self.ts >= p.ready_at, f"unstake withdrawn at {self.ts} before {p.ready_at}")
        require(e["amount"] == p.unbonding, f"withdrew {e['amount']}, ghost unbonding {p.unbonding}")
        p.unbonding = 0
        self._move(self.registry.address, p.account.address, e["amount"])

    def on_ProviderRegistered(self, e):
        p = self.providers[e["provider"]]
        p.registered, p.region = True, bytes(e["region"])

    def on_ProviderUpdated(self, e):
        self.providers[e["provider"]].region = bytes(e["region"])

    def on_OfferAdded(self, e):
        self.offers[e["offerId"]] = Offer(
            e["offerId"],
            e["provider"],
            bytes(e["gpuModel"]),
            e["units"],
            e["pricePerUnitHour"],
            e["maxDurationSeconds"],
        )

    def on_OfferUpdated(self, e):
        o = self.offers[e["offerId"]]
        require(e["units"] >= o.in_use, f"offer {o.id} units {e['units']} below in use {o.in_use}")
        o.units, o.price, o.max_duration = e["units"], e["pricePerUnitHour"], e["maxDurationSeconds"]

    def on_OfferPauseSet(self, e):
        self.offers[e["offerId"]].paused = e["paused"]

    def on_OfferRemoved(self, e):
        o = self.offers[e["offerId"]]
        require(not o.removed, f"offer {o.id} removed twice")
        o.removed = True

    def on_CollateralLocked(self, e):
        o, p = self.offers[e["offerId"]], self.providers[e["provider"]]
        if e["units"] == 0:
            # A job's collateral above its units' (checked against the price at JobOpened).
            require(p.free >= e["collateral"] > 0, f"job collateral {e['collateral']} with free stake {p.free}")
            p.free -= e["collateral"]
            p.locked += e["collateral"]
            self._touched.add(p.account.address)
            return
        expected = e["units"] * self.catalogue[o.model]["collateral"]
        require(e["collateral"] == expected, f"collateral {e['collateral']} != units x collateralPerUnit {expected}")
        require(o.in_use + e["units"] <= o.units and not o.paused and not o.removed, f"offer {o.id} over-reserved")
        require(p.free >= e["collateral"], f"locked {e['collateral']} with free stake {p.free}")
        o.in_use += e["units"]
        p.free -= e["collateral"]
        p.locked += e["collateral"]
        self._touched.add(p.account.address)

    def on_CollateralReleased(self, e):
        o, p = self.offers[e["offerId"]], self.providers[e["provider"]]
        # A batch close releases its leases one after the other, in the order the model expects them.
        if self._close_queue is None:
            subject = self._subject
        else:
            subject = self._close_queue.pop(0) if self._close_queue else None
        self._released = subject
        require(
            subject is not None
            and subject.offer == e["offerId"]
            and subject.units == e["units"]
            and subject.collateral == e["collateral"],
            f"release {e} does not match the settled match",
        )
        o.in_use -= e["units"]
        p.locked -= e["collateral"]
        p.free += e["collateral"]

    def on_ProviderSlashed(self, e):
        """The registry's slash, replayed on the ghost buckets; invariants 7 and 8."""
        subject, order = self._subject, self._slash_order
        p, o = self.providers[e["provider"]], self.offers[subject.offer]
        c = subject.collateral
        amount, whistleblower, tenant = order
        available = c + p.free + p.unbonding
        slashed = min(amount, available)
        from_locked = min(slashed, c)
        rest = slashed - from_locked
        from_free = min(rest, p.free)
        from_unbonding = rest - from_free
        require(e["slashed"] == slashed, f"slashed {e['slashed']}, model {slashed}")
        require(slashed == amount, f"slash of {amount} only found {slashed}: stake left before its window closed")
        require(self._slash_release["collateral"] == c - from_locked, "released collateral after slash mismatch")
        third = lambda a: a not in (ZERO, p.account.address)  # noqa: E731
        to_w = slashed * self.params["whistleblowerRewardBps"] // BPS if third(whistleblower) else 0
        to_t = slashed * self.params["tenantCompensationBps"] // BPS if third(tenant) else 0
        require(e["slashed"] == e["toWhistleblower"] + e["toTenant"] + e["toTreasury"], f"slash split {e} is not whole")
        require((e["toWhistleblower"], e["toTenant"]) == (to_w, to_t), f"slash split {e}, model {to_w}, {to_t}")
        if not third(whistleblower):
            self.stats.self_reports += 1
            require(e["toWhistleblower"] == 0, "a provider reporting itself was paid")
        o.in_use -= subject.units
        p.locked -= c
        p.free = p.free + (c - from_locked) - from_free
        p.unbonding -= from_unbonding
        self.stats.slashes += 1
        self._move(self.registry.address, whistleblower if to_w else self.treasury_now, to_w)
        self._move(self.registry.address, tenant if to_t else self.treasury_now, to_t)
        self._move(self.registry.address, self.treasury_now, e["toTreasury"])
        self._touched.add(p.account.address)

    def on_OutcomeRecorded(self, e):
        # Issue 12, property 9: an answered challenge counts for uptime only; a lease or a job is
        # recorded only when it paid the minimum, which its close or finalization checks next.
        require(getattr(self, "_outcome", None) is None, f"outcome {e} with another unconsumed")
        if e["outcome"] == O_LIVENESS_ANSWERED:
            self.providers[e["provider"]].answered += 1
            self._touched.add(e["provider"])
        else:
            self._outcome = (e["provider"], e["outcome"])

    def _take_outcome(self, provider: str, outcome: int, paid: int, what: str) -> None:
        """The release of `what` recorded `outcome` for `provider` exactly when it paid the minimum."""
        got, self._outcome = getattr(self, "_outcome", None), None
        counts = paid >= MIN_PAID_OUTCOME
        require(got == ((provider, outcome) if counts else None), f"{what} paid {paid}: outcome {got}, counts {counts}")
        if counts:
            p = self.providers[provider]
            if outcome == O_LEASE_COMPLETED:
                p.leases_counted += 1
            else:
                p.jobs_counted += 1
            self._touched.add(provider)

    def on_RequestCreated(self, e):
        order = self._pending_order
        order.id = e["requestId"]
        require(e["tenant"] == order.tenant and e["deposit"] == order.deposit, f"RequestCreated {e} vs the call")
        order.deposited = order.deposit
        self.orders[order.id] = order
        self.live_orders.add(order.id)
        self._move(order.tenant, self.market.address, order.deposit)

    def on_RequestCancelled(self, e):
        order = self.orders[e["requestId"]]
        require(order.state == "open" and e["refunded"] == order.deposit, f"cancel refunded {e['refunded']} of {order}")
        order.state = "cancelled"
        order.paid_out += e["refunded"]
        self.live_orders.discard(order.id)
        self.settled.append(("request", order.id))
        self._move(self.market.address, order.tenant, e["refunded"])

    def on_MatchSkipped(self, e):
        self.stats.skips[e["reason"]] += 1

    def _match_fee(self, order: Order, escrow: int, matcher: str) -> int:
        fee = order.deposit - escrow
        require(fee == min(self.params["matchFee"], order.deposit), f"match fee {fee} on request {order.id}")
        require(self.ts <= order.deadline and order.state == "open", f"request {order.id} matched when not open")
        order.paid_out += fee
        # Match fees are credited to the matcher (claimed later), never transferred at the match.
        self._move(self.market.address, matcher, fee, credit=True)
        return fee

    def on_LeaseStarted(self, e):
        order = self.orders[e["leaseId"]]
        offer = self.offers[e["offerId"]]
        fee = self._match_fee(order, e["balance"] + e["settleBounty"], e["matcher"])
        escrow = order.deposit - fee
        require(e["settleBounty"] == min(self.params["settleBounty"], escrow), f"bounty {e['settleBounty']}")
        require(
            e["pricePerUnitHour"] <= order.max_price
            and e["provider"] != order.tenant
            and order.duration <= offer.max_duration,
            f"lease {order.id} breaks its request's terms",
        )
        order.state = "lease"
        order.provider, order.offer, order.price = e["provider"], e["offerId"], e["pricePerUnitHour"]
        order.fee_bps, order.start, order.escrow = self.params["protocolFeeBps"], self.ts, escrow
        order.bounty, order.collateral = e["settleBounty"], e["collateral"]
        order.matcher = e["matcher"]

    def on_OfferJobPolicySet(self, e):
        o = self.offers[e["offerId"]]
        o.job_rate, o.job_setup = e["stepsPerSecond"], e["minResultTimeoutSeconds"]

    def on_JobOpened(self, e):
        order = self.orders[e["jobId"]]
        terms = order.terms
        offer = self.offers[e["offerId"]]
        require(e["resultDeadline"] == self.ts + terms.result_timeout, "result deadline")
        # Property 1: the provider consented; property 2: collateral in proportion to the price.
        rate = offer.job_rate
        require(
            rate > 0 and terms.result_timeout >= offer.job_setup + -(-terms.steps // rate),
            f"job {order.id} matched outside its offer's job policy",
        )
        units_collateral = e["units"] * self.catalogue[offer.model]["collateral"]
        needed = max(units_collateral, e["escrow"] * self.params["jobCollateralBps"] // BPS)
        require(e["collateral"] == needed, f"job collateral {e['collateral']}, model {needed}")
        self.jobs[order.id] = Job(
            order.id,
            order.tenant,
            e["provider"],
            e["offerId"],
            e["units"],
            e["collateral"],
            e["escrow"],
            terms,
            e["resultDeadline"],
        )
        job = self.jobs[order.id]
        job.fee_bps, job.verifier_fee_bps = self.params["protocolFeeBps"], self.params["verifierFeeBps"]
        # Property 12: the sample rate and the claim's bond are fixed at the match too.
        job.sample_bps, job.claim_bond = self.params["verificationSampleBps"], self.params["verifierBond"]
        self.live_jobs.add(order.id)

    def on_JobHandedOver(self, e):
        order = self.orders[e["requestId"]]
        self._match_fee(order, e["escrow"], e["matcher"])
        order.state = "job"
        self.live_orders.discard(order.id)
        self._move(self.market.address, self.jm.address, e["escrow"])
        job = self.jobs[order.id]
        job.bounty = e["escrow"] - job.escrow
        require(job.bounty == min(self.params["settleBounty"], e["escrow"]), f"job {job.id} bounty {job.bounty}")
        if job.terms.honest is None:
            return  # terms no solver in the walk can trace: the job waits until it is expired
        job.fault = self.rng.choice([None, None, None, *list(range(1, job.terms.steps + 1))])
        job.solver = (
            job.terms.honest
            if job.fault is None
            else Trace.of(job.terms.workload, job.terms.input, job.terms.seed, job.terms.steps, job.fault)
        )

    def on_EarningsWithdrawn(self, e):
        lease = self.orders[e["leaseId"]]
        until = lease.challenged_at if lease.challenger != ZERO else self.ts
        gross = self._accrued(lease, until) - lease.withdrawn
        require(
            e["amount"] + e["fee"] == gross and e["fee"] == gross * lease.fee_bps // BPS,
            f"withdrawal {e} of lease {lease.id}, model gross {gross}",
        )
        lease.withdrawn += gross
        lease.paid_out += gross
        self._move(self.market.address, lease.provider, e["amount"])
        self._accrue(self.market.address, e["fee"])

    def on_LeaseToppedUp(self, e):
        lease = self.orders[e["leaseId"]]
        lease.escrow += e["amount"]
        lease.deposited += e["amount"]
        require(e["balance"] == lease.escrow - lease.bounty, f"top-up balance {e['balance']}")
        self._move(e["funder"], self.market.address, e["amount"])

    def on_ReclaimRequested(self, e):
        lease = self.orders[e["leaseId"]]
        require(e["reclaimableAt"] == self.ts + self.params["reclaimNoticeSeconds"], "reclaimableAt")
        lease.reclaimable_at = e["reclaimableAt"]

    def on_LivenessChallenged(self, e):
        lease = self.orders[e["leaseId"]]
        require(e["bond"] == self.params["livenessBond"], "liveness bond")
        require(e["deadline"] == self.ts + self.params["livenessWindowSeconds"], "liveness deadline")
        lease.challenger, lease.bond, lease.challenged_at = e["challenger"], e["bond"], self.ts
        lease.challenge_deadline = e["deadline"]
        self._move(e["challenger"], self.market.address, e["bond"])

    def on_LivenessAnswered(self, e):
        lease = self.orders[e["leaseId"]]
        require(self.ts <= lease.challenge_deadline, "answered after the deadline")
        require(e["bond"] == lease.bond, "answered bond")
        # The bond is the provider's, unless the challenger was the lease's own tenant (issue 12).
        owed_to = lease.challenger if lease.challenger == lease.tenant else lease.provider
        require(e["bondTo"] == owed_to, "answered bond's payee")
        self._move(self.market.address, owed_to, lease.bond)
        lease.challenger, lease.bond = ZERO, 0

    def on_LivenessResolved(self, e):
        lease = self.orders[e["leaseId"]]
        require(self.ts > lease.challenge_deadline, "resolved before the deadline")
        require(e["bondReturned"] == lease.bond and e["challenger"] == lease.challenger, "resolved bond")
        self._move(self.market.address, lease.challenger, lease.bond)
        lease.challenger, lease.bond = ZERO, 0
        lease.terminated = True

    def on_LivenessCalledOff(self, e):
        lease = self.orders[e["leaseId"]]
        require(lease.challenger != ZERO, "called off without an open challenge")
        require(e["bondReturned"] == lease.bond and e["challenger"] == lease.challenger, "called-off bond")
        self._move(self.market.address, lease.challenger, lease.bond)
        lease.challenger, lease.bond = ZERO, 0
        lease.called_off = True

    def on_LeaseClosed(self, e):
        lease = self.orders[e["leaseId"]]
        if self._close_queue is not None:
            require(self._released is lease, f"batch closed lease {lease.id}, model expected another")
        liveness = e["reason"] == C_LIVENESS
        stop = lease.challenged_at if liveness or lease.called_off else self.ts
        if not liveness:
            status = self._lease_status(lease, self.ts)
            caller = e["caller"]
            expected = {L_EXPIRED: C_EXPIRED, L_INSOLVENT: C_INSOLVENT}.get(
                status, C_TENANT if caller == lease.tenant else C_RECLAIM
            )
            require(e["reason"] == expected, f"close reason {e['reason']}, model {expected} (status {status})")
            recipient = lease.tenant if caller in (lease.tenant, lease.provider) else caller
            require(e["bountyRecipient"] == recipient, "bounty recipient")
        accrued = self._accrued(lease, stop)
        if not liveness:
            self._take_outcome(lease.provider, O_LEASE_COMPLETED, accrued, f"lease {lease.id}")
        gross = accrued - lease.withdrawn
        refund = lease.escrow - lease.bounty - accrued
        require(
            (e["paid"] + e["fee"], e["fee"], e["refunded"], e["bounty"])
            == (gross, gross * lease.fee_bps // BPS, refund, lease.bounty),
            f"close {e} of lease {lease.id}, model gross {gross} refund {refund} bounty {lease.bounty}",
        )
        lease.withdrawn = accrued
        lease.paid_out += gross + refund + lease.bounty
        lease.closed = True
        self.live_orders.discard(lease.id)
        self.settled.append(("lease", lease.id))
        self._move(self.market.address, lease.provider, e["paid"])
        self._accrue(self.market.address, e["fee"])
        if self._batch_bounty is not None and e["bountyRecipient"] != lease.tenant:
            self._batch_bounty += lease.bounty
            self._move(self.market.address, lease.tenant, refund)
        else:
            self._move(self.market.address, lease.tenant, refund)
            self._move(self.market.address, e["bountyRecipient"], lease.bounty)

    def on_CloseSkipped(self, e):
        lease = self.orders.get(e["leaseId"])
        if lease is None or lease.state != "lease":
            expected = K_NOT_FOUND
        elif lease.closed:
            expected = K_SETTLED
        elif lease.challenger != ZERO:
            expected = K_CHALLENGE_OPEN
        else:
            require(self._lease_status(lease, self.ts) == L_ACTIVE, f"lease {lease.id} skipped, model can close it")
            expected = K_ACTIVE
        require(e["reason"] == expected, f"close of {e['leaseId']} skipped for {e['reason']}, model {expected}")
        self.stats.close_skips[expected] += 1

    def on_JobTermsPublished(self, e):
        pass

    def on_ResultSubmitted(self, e):
        job = self.jobs[e["jobId"]]
        require(e["windowEndsAt"] == self.ts + job.terms.window, "window from the result")
        job.window_ends = e["windowEndsAt"]

    def on_VerificationClaimed(self, e):
        job = self.jobs[e["jobId"]]
        require(job.verifier == ZERO, f"job {job.id} claimed twice")
        require(
            e["bond"] == job.claim_bond and e["windowEndsAt"] == self.ts + job.terms.window,
            "claim bond or window",
        )
        job.verifier, job.verifier_bond, job.window_ends = e["verifier"], e["bond"], e["windowEndsAt"]
        self._post_claim_bond(e["verifier"], e["bond"])

    def _post_claim_bond(self, verifier: str, bond: int) -> None:
        """A claim's bond: from the claimant's credit in the job market when it holds that much (its
        standing balance: the pay and bonds of its earlier jobs), else pulled."""
        key = (self.jm.address, verifier)
        if self.credits[key] >= bond:
            self.credits[key] -= bond
            self._spent[key] += bond
            self._touched_credits.add(key)
            self._touched.add(verifier)
        else:
            self._move(verifier, self.jm.address, bond)

    def on_Attested(self, e):
        job = self.jobs[e["jobId"]]
        if e["valid"]:
            if job.verifier == ZERO:
                # claimAndAttest: the claim and the attestation in one call, the bond fixed at the match.
                require(e["bond"] == job.claim_bond, f"claim-and-attest bond {e['bond']}, agreed {job.claim_bond}")
                job.verifier, job.verifier_bond = e["verifier"], e["bond"]
                self._post_claim_bond(e["verifier"], e["bond"])
            # Only the claimant, with its spot proof; its bond came with the claim.
            require(e["verifier"] == job.verifier, f"valid attestation by {e['verifier']}, claimant {job.verifier}")
            require(
                e["bond"] == job.verifier_bond and e["windowEndsAt"] == self.ts + job.terms.window,
                "valid attestation bond or window",
            )
            job.attestation, job.window_ends = A_VALID, e["windowEndsAt"]
        else:
            require(job.verifier in (ZERO, e["verifier"]), f"invalid attestation by {e['verifier']} of a claimed job")
            job.verifier = e["verifier"]
            job.attestation = A_INVALID

    def on_DisputeOpened(self, e):
        job = self.jobs[e["jobId"]]
        require(e["bond"] == self.params["challengeBond"], "challenge bond")
        require(self.ts < job.window_ends, "dispute opened after the window")
        job.challenger, job.bond, job.disputed = e["challenger"], e["bond"], True
        self._move(e["challenger"], self.jm.address, e["bond"])

    def on_StepProven(self, e):
        job = self.jobs[e["jobId"]]
        lo = e["stepIndex"]
        d = self._dispute_before
        workload = get_workload(job.terms.workload)
        state = job.solver.states[lo]
        correct = keccak256(workload.step(state, lo, job.terms.seed)) == bytes(d["hHi"])
        require(e["solverCorrect"] == correct, f"on-chain step {lo} says {e['solverCorrect']}, executor {correct}")

    def on_StepVoted(self, e):
        job = self.jobs[e["jobId"]]
        d = self._dispute_before
        key = (job.id, d["number"])
        require(e["bond"] == d["arbiterBond"], f"vote bond {e['bond']}, dispute's {d['arbiterBond']}")
        self.arbiter_votes[key][e["arbiter"]] = 1 if e["solverCorrect"] else 2
        self.arbiter_bonds[key] = e["bond"]
        self.arbiter_held += e["bond"]
        self._move(e["arbiter"], self.jm.address, e["bond"])

    def on_VoteTallied(self, e):
        job = self.jobs[e["jobId"]]
        d = self._dispute_before
        key = (job.id, e["number"])
        votes = list(self.arbiter_votes.get(key, {}).values())
        for_solver, for_challenger = votes.count(1), votes.count(2)
        outcome = 1 if for_solver > for_challenger else 2 if for_challenger > for_solver else 3
        winners = max(for_solver, for_challenger) if outcome != 3 else 0
        fee = min(d["arbiterFee"], d["bond"]) if winners else 0
        pot = fee + (len(votes) - winners) * d["arbiterBond"]
        pay, dust = (pot // winners, pot % winners) if winners else (0, 0)
        got = (e["outcome"], e["fee"], e["payPerVote"], e["dust"])
        require(got == (outcome, fee, pay, dust), f"tally {got}, model {(outcome, fee, pay, dust)}")
        self.tallies[key] = (outcome, d["arbiterBond"], pay)
        self.arbiter_held += fee - dust
        self._accrue(self.jm.address, dust)
        # The fee leaves the challenger's bond before the dispute settles.
        job.bond -= fee
        self._dispute_before = {**d, "bond": d["bond"] - fee}

    def on_ArbiterPaid(self, e):
        key = (e["jobId"], e["number"])
        outcome, bond, pay = self.tallies[key]
        vote = self.arbiter_votes[key].get(e["arbiter"])
        require(
            vote in (1, 2) and (outcome == 3 or vote == outcome), f"arbiter paid for vote {vote}, outcome {outcome}"
        )
        expected = bond + (0 if outcome == 3 else pay)
        require(e["amount"] == expected, f"arbiter paid {e['amount']}, model {expected}")
        self.arbiter_votes[key][e["arbiter"]] = 3
        self.arbiter_held -= expected
        self._move(self.jm.address, e["arbiter"], expected)

    def on_DisputeResolved(self, e):
        job = self.jobs[e["jobId"]]
        result = e["result"]
        if result in (SOLVER_WON, VOIDED):
            job.window_ends = e["windowEndsAt"]
            job.challenger, job.bond, job.disputed = ZERO, 0, False
            return
        # A void (arbiters without a majority) is settled as the challenger's loss, like SOLVER_WON.
        require(result == CHALLENGER_WON, f"dispute result {result}")
        self._end_job(job, J_SLASHED)
        self._move(self.jm.address, job.tenant, job.escrow)
        self._move(self.jm.address, job.challenger, job.bond)
        if job.attestation != A_VALID:
            # A claimant that did not vouch for the result gets its bond back (VerifierBondForfeited
            # splits a valid attestation's).
            self._move(self.jm.address, job.verifier, job.verifier_bond)
        job.paid_out += job.escrow

    def on_ChallengerBondForfeited(self, e):
        job = self.jobs[e["jobId"]]
        bond = self._dispute_before["bond"]
        to_solver = bond * self.params["whistleblowerRewardBps"] // BPS
        self._game_bounty = min(self.params["settleBounty"], bond - to_solver)
        expected = (to_solver, bond - to_solver - self._game_bounty)
        require((e["toDefender"], e["toTreasury"]) == expected, f"forfeit {e} of bond {bond}")
        # The campaign's verifiers never reveal, so the solver always defends.
        require(e["defender"] == job.provider, f"forfeit to {e['defender']}, not the solver")
        self._move(self.jm.address, job.provider, e["toDefender"])
        self._accrue(self.jm.address, e["toTreasury"])

    def on_VerifierBondForfeited(self, e):
        job = self.jobs[e["jobId"]]
        to_challenger = job.verifier_bond * self.params["whistleblowerRewardBps"] // BPS
        require(
            (e["toChallenger"], e["toTreasury"]) == (to_challenger, job.verifier_bond - to_challenger),
            f"verifier forfeit {e}",
        )
        self._move(self.jm.address, job.challenger, e["toChallenger"])
        self._accrue(self.jm.address, e["toTreasury"])

    def on_JobFinalized(self, e):
        job = self.jobs[e["jobId"]]
        # Invariant 9: the solver is paid only once its window closed with no dispute open.
        require(
            self.ts >= job.window_ends and not job.disputed, f"job {job.id} paid at {self.ts}, window {job.window_ends}"
        )
        # The fee, the levy and the sample rate fixed at the match, whatever governance set since;
        # the sampled verifier's pay out of the pool.
        pf = job.escrow * job.fee_bps // BPS
        levy = job.escrow * job.verifier_fee_bps // BPS
        valid = job.attestation == A_VALID
        to_verifier = 0
        if valid:
            to_verifier = min(self.pool + levy, job.escrow * job.verifier_fee_bps // job.sample_bps)
        expected = (job.escrow - pf - levy, pf, levy, to_verifier)
        got = (e["toProvider"], e["protocolFee"], e["verifierLevy"], e["toVerifier"])
        require(got == expected, f"finalize split {got}, model {expected}")
        self._take_outcome(job.provider, O_JOB_FINALIZED, job.escrow, f"job {job.id}")
        self._end_job(job, J_FINALIZED)
        job.paid_out += job.escrow
        self._move(self.jm.address, job.provider, e["toProvider"])
        if valid:
            self._accrue_with_pool(pf, levy, to_verifier)
            # Credited, pay and bond: the verifier's standing balance for its next claim's bond.
            self._move(self.jm.address, job.verifier, to_verifier + job.verifier_bond, credit=True)
        else:
            # A claimant that never vouched for the result loses its bond to the pool.
            self._accrue_with_pool(pf, levy + job.verifier_bond, 0)

    def on_JobExpired(self, e):
        job = self.jobs[e["jobId"]]
        require(self.ts > job.result_deadline and e["refunded"] == job.escrow, f"expire {e}")
        self._end_job(job, J_EXPIRED)
        job.paid_out += job.escrow
        self._move(self.jm.address, job.tenant, job.escrow)

    def on_SettleBountyPaid(self, e):
        job = self.jobs[e["jobId"]]
        if job.terminal:
            # The job's own bounty, once, to whoever settled it.
            require(e["bounty"] == job.bounty, f"settle bounty {e['bounty']}, reserved {job.bounty}")
            job.bounty = 0
        else:
            # A game the solver won: paid from the treasury's half of the forfeited bond.
            require(e["bounty"] == self._game_bounty, f"game bounty {e['bounty']}, model {self._game_bounty}")
            self._game_bounty = 0
        self._move(self.jm.address, e["recipient"], e["bounty"])

    def _end_job(self, job: Job, status: int) -> None:
        require(not job.terminal, f"job {job.id} settled twice")
        job.terminal = True
        job.disputed = False
        job.final = status
        self.live_jobs.discard(job.id)
        self.settled.append(("job", job.id))

    # ----------------------------------------------------------------- what the books derive

    def _owed(self) -> dict[str, int]:
        """What each contract owes, from the ghost records alone."""
        market = 0
        for i in self.live_orders:
            o = self.orders[i]
            market += o.deposit if o.state == "open" else o.escrow - o.withdrawn
            market += o.bond
        jm = 0
        for i in self.live_jobs:
            j = self.jobs[i]
            jm += j.escrow + j.bounty + j.verifier_bond + j.bond
        jm += self.arbiter_held + self.pool
        owed = {
            self.market.address: market,
            self.jm.address: jm,
            self.registry.address: self._stake(),
            self.bonds.address: sum(self.matcher_bonds.values()),
        }
        for (contract, _), amount in self.credits.items():
            owed[contract] += amount
        for contract, amount in self.fees.items():
            owed[contract] += amount
        return owed

    def _stake(self) -> int:
        return sum(p.free + p.locked + p.unbonding for p in self.providers.values())

    def _fee_contracts(self) -> list[str]:
        return [self.market.address, self.jm.address]

    def _running_matches(self) -> Iterator:
        for i in self.live_orders:
            if self.orders[i].state == "lease":
                yield self.orders[i]
        for i in self.live_jobs:
            yield self.jobs[i]

    def _job_status(self, j: Job) -> int:
        if j.terminal:
            return j.final
        if j.disputed:
            return J_DISPUTED
        if j.window_ends:
            return J_FINALIZABLE if self.ts >= j.window_ends else J_SUBMITTED
        return J_LATE if self.ts > j.result_deadline else J_MATCHED

    def _accrued(self, lease: Order, until: int) -> int:
        end = min(lease.start + lease.duration, until)
        if end <= lease.start:
            return 0
        return min(lease.escrow - lease.bounty, lease.price * lease.units * (end - lease.start) // HOUR)

    def _lease_status(self, lease: Order, at: int) -> int:
        if lease.closed:
            return L_TERMINATED if lease.terminated else L_CLOSED
        if at >= lease.start + lease.duration:
            return L_EXPIRED
        if self._accrued(lease, at) == lease.escrow - lease.bounty:
            return L_INSOLVENT
        return L_ACTIVE
