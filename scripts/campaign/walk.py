"""The walk: the deployed protocol, its actors, and the driver that picks one action per step.

`Campaign(seed)` deploys the protocol with scripts/deploy.py on the chain brownie is connected
to and creates every kind of actor; `run(steps)` picks one action per step from the seed alone
(weights from the books, guided towards functions that have not gone through yet), runs it, and
checks every invariant. Each step's action, calls, outcomes, gas and time moves feed a running
digest (`digest`), so two walks of one seed can be compared at any step.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict, deque
from collections.abc import Callable

import brownie
from brownie.network.account import LocalAccount
from eth_account import Account

from keepers.ids import to_bytes32
from keepers.workloads.base import keccak256
from scripts.campaign.books import Books
from scripts.campaign.chain import chain_time, rpc
from scripts.campaign.constants import ACCOUNTS, CHEATING_MUST_LOSE, FUNDS, GUIDE, LEAD, MAX_UINT, USD, ZERO
from scripts.campaign.coverage import gaps, reaches_a_gap
from scripts.campaign.enums import BPS, PARAM_FIELDS
from scripts.campaign.failures import CampaignFailure, HarnessFailure, Violation, require
from scripts.campaign.functions import guidance
from scripts.campaign.handlers.attacker import AttackerActions
from scripts.campaign.handlers.base import Calls
from scripts.campaign.handlers.cheaters import CheaterActions
from scripts.campaign.handlers.clock import ClockActions
from scripts.campaign.handlers.config import ConfigActions
from scripts.campaign.handlers.job_market import JobMarketActions
from scripts.campaign.handlers.lease_market import LeaseMarketActions
from scripts.campaign.handlers.matcher_bonds import MatcherBondActions
from scripts.campaign.handlers.payouts import PayoutActions
from scripts.campaign.handlers.registry import RegistryActions
from scripts.campaign.handlers.signed_requests import SignedRequestActions
from scripts.campaign.handlers.token import TokenActions
from scripts.campaign.invariants import Invariants
from scripts.campaign.model import Job, Offer, Order, Provider, Stats, Terms
from scripts.campaign.profits import Profits
from scripts.deploy import bond_matcher, deploy, load_catalogue
from scripts.localchain import HarnessError


class Campaign(
    Calls,
    Books,
    Profits,
    Invariants,
    RegistryActions,
    LeaseMarketActions,
    SignedRequestActions,
    JobMarketActions,
    ConfigActions,
    TokenActions,
    PayoutActions,
    MatcherBondActions,
    AttackerActions,
    CheaterActions,
    ClockActions,
):
    """The deployed protocol, the actors, the books, the invariants, the actions and the walk.

    `start_time`, when given, is the timestamp of the walk's first block: on a fresh chain of its
    own (scripts.fuzz) the walk is then the same to the second, and so to the gas, on every run.
    Without it the walk starts at the chain's clock (the test session's Anvil, whose clock other
    tests have moved): the same actions and outcomes, at other absolute times.
    """

    def __init__(self, seed: int, start_time: int | None = None, cheating_must_lose: bool = CHEATING_MUST_LOSE):
        self.seed = seed
        self.cheating_must_lose = cheating_must_lose
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.step = 0
        # The step count at which the walk had reached everything coverage.py `gaps` asks for, and
        # at which it reached each of those things (what comes last is what the guidance must help).
        self.covered_at: int | None = None
        self.reached: dict[str, int] = {}
        self._gaps: set[str] | None = None
        self._digest = hashlib.sha256(b"leasehold-campaign-%d" % seed)
        self._start_time = start_time
        self._setup()
        self._ts0 = self.ts

    # ----------------------------------------------------------------- the digest

    @property
    def digest(self) -> str:
        """The digest of the walk so far: two walks that agree on it took the same steps with the
        same outcomes (every action, call, sender, refusal, gas used and time move, in order)."""
        return self._digest.hexdigest()[:16]

    def _record(self, *parts) -> None:
        self._digest.update(repr(parts).encode())

    # ----------------------------------------------------------------- setup

    def _setup(self) -> None:
        # Every block from here mines one second after the previous one (or at a time move's own
        # timestamp): block times never come from the wall clock.
        if self._start_time is not None:
            rpc("evm_setNextBlockTimestamp", [self._start_time])
        rpc("anvil_setBlockTimestampInterval", [1])
        # The node's unlocked accounts; not keys an earlier walk in this process added.
        chain_accounts = [a for a in brownie.accounts if not isinstance(a, LocalAccount)]
        # Fixed keys beyond the node's unlocked accounts: brownie signs for them locally.
        keys = [keccak256(b"leasehold-campaign-%d" % i) for i in range(ACCOUNTS - len(chain_accounts))]
        extra = [brownie.accounts.add(key) for key in keys]
        pool = chain_accounts + extra
        for account in extra:
            pool[0].transfer(account, 10**20)
        (
            self.gov,
            self.treasury,
            p0,
            p1,
            p2,
            p3,
            t0,
            t1,
            self.matcher,
            v0,
            v1,
            w0,
            w1,
            a0,
            a1,
            a2,
            self.settler,
            self.attacker,
            self.gov2,
            self.treasury2,
            self.matcher2,
            self.verifier2,
            self.arbiter2,
            self.spare,
            # The cheaters (handlers/cheaters.py), each account used for its cheating alone.
            self.edge_tenant,
            self.edge_expirer,
            self.sybil,
            self.solver_alt,
        ) = pool[:ACCOUNTS]
        self.permit_tenant = Account.from_key(keccak256(b"leasehold-campaign-permit"))
        self.permit_sender = brownie.accounts.add(self.permit_tenant.key)
        self.gov.transfer(self.permit_sender, 10**20)

        # The token's issuer is governance; it blocklists and unblocks parties during the walk.
        token = brownie.project.get_loaded_projects()[0].BlocklistPermitToken.deploy({"from": self.gov})
        d = deploy(self.gov, treasury=self.treasury.address, payment_token=token)
        self.d = d
        self.config, self.registry, self.market, self.jm, self.token = (
            d.config,
            d.registry,
            d.market,
            d.job_market,
            d.payment_token,
        )
        self.contracts = {
            c.address: name
            for c, name in (
                (self.config, "ProtocolConfig"),
                (self.registry, "ProviderRegistry"),
                (self.market, "LeaseMarket"),
                (self.jm, "JobMarket"),
                (d.matcher_bonds, "MatcherBonds"),
            )
        }
        self.bonds = d.matcher_bonds
        self.owing = {c.address: c for c in (self.registry, self.market, self.jm, self.bonds)}
        self.providers = {p.address: Provider(p) for p in (p0, p1, p2, p3)}
        # p2 abandons the disputes its second account opens (handlers/cheaters.py).
        self.abandoning = p2.address
        self.tenants = [t0, t1]
        self.verifiers = [v0, v1, self.verifier2]
        self.whistleblowers = [w0, w1]
        self.arbiters = [a0, a1, a2, self.arbiter2]
        self.roles = {
            "MATCHER": self.config.MATCHER_ROLE(),
            "VERIFIER": self.config.VERIFIER_ROLE(),
            "ARBITER": self.config.ARBITER_ROLE(),
            "MARKET": self.config.MARKET_ROLE(),
        }
        opts = {"from": self.gov}
        self.config.setRole(self.roles["MATCHER"], self.matcher, True, opts)
        # Both bond the minimum, so that won challenges take a bond below it and it bonds again; the
        # exposure cap (half the bond of value per challenge window) skips the pairs above it.
        bond_matcher(d.matcher_bonds, self.token, self.matcher, payer=self.gov)
        self.config.setRole(self.roles["MATCHER"], self.matcher2, True, opts)  # the steering matcher
        bond_matcher(d.matcher_bonds, self.token, self.matcher2, payer=self.gov)
        # Each matcher's bond, as the model books it (a won match challenge takes from it), and the
        # bonds' parameters (the walk leaves them as deployed).
        self.matcher_bonds = {m.address: d.matcher_bonds.bondOf(m)[0] for m in (self.matcher, self.matcher2)}
        bond_params = d.matcher_bonds.params()
        self.bond_params = dict(bond_params.dict()) if hasattr(bond_params, "dict") else dict(bond_params)
        self._challenge_view = None
        # Match fees are credited to the matchers, never transferred (docs/matching-accountability.md).
        self._match_fee_takers = {self.matcher.address, self.matcher2.address}
        for v in (v0, v1):
            self.config.setRole(self.roles["VERIFIER"], v, True, opts)
        for a in (a0, a1, a2):
            self.config.setRole(self.roles["ARBITER"], a, True, opts)
        self.has_role = {
            (r, a.address): True
            for r, accts in (
                ("MATCHER", [self.matcher, self.matcher2]),
                ("VERIFIER", [v0, v1]),
                ("ARBITER", [a0, a1, a2]),
            )
            for a in accts
        }
        self.has_role[("MARKET", self.market.address)] = self.has_role[("MARKET", self.jm.address)] = True
        # The roles the walk relies on: governance may revoke them mid-flight, and soon gives them back.
        self.primary_roles = [
            ("MATCHER", self.matcher.address),
            ("VERIFIER", v0.address),
            ("ARBITER", a0.address),
            ("MARKET", self.market.address),
            ("MARKET", self.jm.address),
        ]

        # Everyone holds tokens and has approved the three contracts, except the attacker, who
        # holds tokens but approved nothing; treasury2 holds a little so its first fee costs
        # the same gas as any other.
        funded = (
            [p.account for p in self.providers.values()]
            + self.tenants
            + self.verifiers
            + self.whistleblowers
            + self.arbiters
            + [self.settler, self.attacker, self.matcher, self.matcher2, self.spare]
            + [self.edge_tenant, self.edge_expirer, self.sybil, self.solver_alt]
        )
        for account in funded:
            self.token.mint(account, FUNDS, {"from": account})
            if account != self.attacker:
                for spender in (self.registry, self.market, self.jm, self.bonds):
                    self.token.approve(spender, MAX_UINT, {"from": account})
        self.token.mint(self.permit_tenant.address, FUNDS, {"from": self.gov})
        self.token.mint(self.treasury2, 1, {"from": self.gov})
        self.token.mint(self.treasury, 1, {"from": self.gov})
        # Everyone the protocol may pay, and so the token may refuse: what governance-of-the-token
        # blocklists, and who claims a credit. Not the attacker (it donates with plain transfers).
        self.parties = {
            a.address: a
            for a in [
                *(p.account for p in self.providers.values()),
                *self.tenants,
                self.permit_sender,
                *self.verifiers,
                *self.whistleblowers,
                self.matcher,
                self.matcher2,
                self.settler,
                self.treasury,
                self.treasury2,
                self.edge_tenant,
                self.edge_expirer,
            ]
        }

        # Everyone who may hold a credit: the parties, and while the token is paused as a whole any
        # payee at all (the cheaters' second accounts, arbiters, matchers, the attacker...).
        self.claimants = {a.address: a for a in [*self.parties.values(), *self.arbiters, self.attacker, self.spare]}
        self.claimants.update(
            {a.address: a for a in (self.sybil, self.solver_alt, self.matcher, self.matcher2, self.gov, self.gov2)}
        )
        self.catalogue = {
            to_bytes32(m["id"]): {
                "vram": m["vram_gb"],
                "tier": m["tier"],
                "collateral": m["collateral_per_unit"] * USD,
                "listed": True,
            }
            for m in load_catalogue()
        }
        p = self.config.params()
        self.params = dict(p.dict()) if hasattr(p, "dict") else dict(zip(PARAM_FIELDS, p))
        # Every result is drawn for verification: a draw reads a block's hash, which depends on the
        # chain's whole history, so with a sample one seed would walk differently on another chain.
        # Whether a claim goes through then depends on the walk alone (its time and its moves).
        if self.params["verificationSampleBps"] != BPS:
            self.params["verificationSampleBps"] = BPS
            self.config.setParams(tuple(self.params[f] for f in PARAM_FIELDS), {"from": self.gov})
        self.owner = self.gov
        self.pending_owner = None
        self.treasury_now = self.treasury.address
        self.paused = False

        # Ghost books.
        self.ledger: dict[str, int] = defaultdict(int)
        for address in self._tracked():
            self.ledger[address] = self.token.balanceOf(address)
        self.donations = Counter()  # tokens sent straight to a contract
        self.blocked: set[str] = set()  # accounts the token refuses, as governance last set them
        self.token_paused = False  # the token halted as a whole: every transfer refuses
        self.credits: Counter = Counter()  # (contract, account) -> credit, recomputed from the payouts
        self._credited: Counter = Counter()  # the credits the current transaction must emit
        self._fresh_credits = 0
        self._fresh_fees = 0
        self._touched_credits: set[tuple[str, str]] = set()
        self.fees: Counter = Counter()  # contract -> protocol fees accrued there since its last sweep
        self.pool = 0  # the job market's verifier pool: levies of unverified jobs, silent claimants' bonds
        # (job, dispute number) -> {arbiter: vote}, 1 solver correct, 2 wrong, 3 claimed; and the
        # tallies (outcome, bond, pay per vote) once resolved; arbiter_held: what the job market
        # owes arbiters (bonds and pay not yet claimed).
        self.arbiter_votes: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
        self.arbiter_bonds: dict[tuple[int, int], int] = {}
        self.tallies: dict[tuple[int, int], tuple[int, int, int]] = {}
        self.arbiter_held = 0
        self.orders: dict[int, Order] = {}
        self.jobs: dict[int, Job] = {}
        self.offers: dict[int, Offer] = {}
        self.published: dict[bytes, Terms] = {}
        self.live_orders: set[int] = set()  # open requests and running leases
        self.live_jobs: set[int] = set()
        self.settled: deque[tuple[str, int]] = deque(maxlen=64)  # recently settled, re-checked
        self.gas_base: dict[tuple, list[int]] = defaultdict(list)
        self.gas_worst: dict[tuple, tuple[int, int]] = {}
        self.salt = 0
        self.sig_nonces: dict[int, str] = {}  # the signing tenant's nonces: "used" or "cancelled"
        self.steering = 0  # what steered tenants pay above the cheapest feasible offer
        self.ts = chain_time()
        self._start_profits()

    def _tracked(self) -> list[str]:
        accounts = [
            self.gov,
            self.gov2,
            self.treasury,
            self.treasury2,
            self.matcher,
            self.matcher2,
            self.settler,
            self.attacker,
            self.spare,
            *self.tenants,
            *self.verifiers,
            *self.whistleblowers,
            *self.arbiters,
            self.edge_tenant,
            self.edge_expirer,
            self.sybil,
            self.solver_alt,
        ]
        return (
            [a.address for a in accounts]
            + list(self.providers)
            + [self.permit_tenant.address, self.registry.address, self.market.address, self.jm.address]
            + [self.bonds.address]
        )

    def close(self) -> None:
        """Gives the chain its wall clock back (the test session's Anvil outlives the walk)."""
        rpc("anvil_removeBlockTimestampInterval", [])

    # ----------------------------------------------------------------- the walk

    def run(self, steps: int, on_step: Callable[[Campaign], None] | None = None) -> Stats:
        for _ in range(steps):
            self.do_step()
            if on_step is not None:
                on_step(self)
        if self.cheating_must_lose:
            try:
                self.check_cheating_loses()
            except Violation as violation:
                raise CampaignFailure(
                    self.seed, self.step - 1, "cheating loses", str(violation), self.digest, "--cheating-must-lose"
                ) from None
        return self.stats

    def do_step(self) -> None:
        actions = self._actions()
        names = [a[0] for a in actions]
        # Guided: an action whose function has rarely (or never) gone through is tried more often,
        # and so is one that leads to a function not reached yet (functions.py `guidance`).
        # An action that reaches something else coverage.py asks for (a refusal, a nonce's state, a
        # pause) is GUIDE times as likely while it is missing.
        missing = set(gaps(self)) if self._gaps is None else self._gaps
        weights = [
            w * guidance(n, self.stats, GUIDE, LEAD) * (GUIDE if reaches_a_gap(n, missing) else 1) for n, w in actions
        ]
        name = self.rng.choices(names, weights)[0]
        self._touched: set[str] = set()
        self._touched_credits = set()
        self._time_moved = False
        self._subject = None
        self._game_bounty = 0
        self._gas_tag = None
        self._close_queue = None
        self._batch_bounty = None
        digest_before = self.digest
        self._record(self.step, name)
        try:
            getattr(self, "act_" + name)()
            self._check_invariants()
            if (self.step + 1) % 500 == 0:
                brownie.history.clear()  # brownie keeps every receipt otherwise
                now = chain_time()
                require(now == self.ts, f"clock drift: chain {now} model {self.ts}")
        except Violation as violation:
            raise CampaignFailure(self.seed, self.step, name, str(violation), digest_before) from None
        except HarnessError as error:
            raise HarnessFailure(self.seed, self.step, name, str(error), digest_before) from error
        self.stats.steps += 1
        self.step += 1
        if self.covered_at is None:
            missing = set(gaps(self))
            for item in sorted((self._gaps or set()) - missing):
                self.reached[item] = self.step
            self._gaps = missing
            if not missing:
                self.covered_at = self.step

    def _actions(self) -> list[tuple[str, float]]:
        """Each action with its weight: an action with something to act on is likely, one without
        is still tried now and then (and must be refused with a declared error)."""
        providers = self.providers.values()
        unregistered = sum(not p.registered for p in providers)
        live_offers = sum(not o.removed for o in self.offers.values())
        abandoner_offers = [o for o in self.offers.values() if o.provider == self.abandoning and not o.removed]
        open_orders = sum(self.orders[i].state == "open" for i in self.live_orders)
        expired_orders = sum(
            self.orders[i].state == "open" and self.orders[i].deadline < self.ts for i in self.live_orders
        )
        leases = self._leases()
        challenged = sum(o.challenger != ZERO for o in leases)
        jobs = self._live_jobs()
        waiting = sum(j.waiting for j in jobs)
        open_jobs = sum(j.open for j in jobs)
        disputed = sum(j.disputed for j in jobs)
        voting = sum(j.disputed and j.terms.workload == "matvec-256" for j in jobs)
        # The edge tenant's jobs wait until they are expired: counted apart, so they do not crowd out
        # the honest requests (which keep the walk's disputes, credits and claims coming).
        edge_live = sum(j.tenant == self.edge_tenant.address for j in jobs)
        live = len(self.live_orders) + len(self.live_jobs) - edge_live

        challengeable = self._challengeable()

        def when(condition, weight, otherwise=0.3):
            return weight if condition else otherwise

        return [
            ("register", when(unregistered, 30, 0.5)),
            ("update_provider", 1),
            ("stake", when(any(p.registered and p.free < 40_000 * USD for p in providers), 6, 1)),
            ("request_unstake", 2),
            ("withdraw_unstaked", when(any(p.unbonding and p.ready_at <= self.ts + 1 for p in providers), 6, 0.5)),
            # Guided: also while the abandoning solver, with no dispute abandoned yet, has no offer.
            ("add_offer", when(live_offers < 4 or (self._abandon_wanted() and not abandoner_offers), 10, 0.8)),
            ("update_offer", 1),
            ("pause_offer", 1.5),
            (
                "set_offer_job_policy",
                when(any(o.job_rate == 0 and not o.removed for o in self.offers.values()), 5, 0.2),
            ),
            ("remove_offer", when(live_offers > 3, 0.4, 0.1)),
            ("create_rental", when(live < 14, 6, 1)),
            ("create_with_permit", 1),
            ("publish_and_request_job", when(live < 14, 10, 1)),
            ("publish_terms", 1),
            ("cancel", when(expired_orders, 6, 1)),
            ("match", when(open_orders - expired_orders, 12, 0.5)),
            ("top_up", when(leases, 2)),
            ("withdraw_earnings", when(leases, 3)),
            ("request_reclaim", when(leases, 1.5)),
            ("close_lease", when(leases, 3)),
            ("close_leases", when(leases, 1.5, 0.2)),
            ("challenge_liveness", when(len(leases) > challenged, 3)),
            ("respond_liveness", when(challenged, 2.5)),
            ("resolve_liveness", when(challenged, 4)),
            ("submit_result", when(waiting, 10)),
            ("claim_verification", when(open_jobs, 3)),
            ("claim_and_attest", when(open_jobs, 2)),
            ("attest", when(open_jobs, 5)),
            ("challenge_job", when(open_jobs, 5)),
            ("dispute_move", when(disputed, 30 * disputed)),
            ("vote", when(voting, 10)),
            ("resolve_vote", when(voting, 2, 0.2)),
            ("claim_arbiter_pay", when(self._claimable_votes(), 4, 0.2)),
            ("claim_timeout", when(disputed, 2, 0.2)),
            ("finalize", when(open_jobs, 5)),
            ("expire", when(waiting, 2)),
            ("time_small", 6),
            ("time_medium", 3),
            ("time_to_deadline", 6),
            ("time_long", 0.3),
            ("set_params", 1),
            ("set_gpu_model", 1),
            ("set_role", 1),
            ("set_treasury", 0.5),
            ("cache_settling_market", 0.3),
            ("pause", when(not self.paused, 0.5, 0)),
            ("unpause", when(self.paused, 5, 0.1)),
            ("ownership", 1.2),
            ("set_workload", 0.7),
            ("donate", 0.3),
            # A blocked party that acts (provider, tenant, verifier...) is soon unblocked, or the walk
            # would lose its moves; a blocked treasury, which only receives, stays for a while and
            # piles up credits on the registry (slash shares) and refuses the markets' fee sweeps.
            ("blocklist", when(len(self.blocked) < 2, 6 if self._watcher_wanted() else 1.2, 0)),
            (
                "unblock",
                # Guided: a blocked account holding a credit no claim of its contract has paid yet is
                # unblocked sooner (the claim's precondition: a credit its holder can collect).
                6
                if self._held_credits()
                else when(
                    self.blocked - {self.treasury.address, self.treasury2.address}, 3, 0.6 if self.blocked else 0
                ),
            ),
            ("claim_credit", when(any(not self._refuses(a) for _, a in self.credits), 6, 0.5)),
            ("sweep_fees", when(any(self.fees.values()), 1.5, 0.3)),
            # The token halted as a whole (every transfer refuses), soon resumed.
            # Guided: while no MatcherBonds credit has been claimed and a match can be challenged, a
            # pause is likelier (a challenge won while the token halts is credited to all three).
            ("pause_token", when(not self.token_paused, 3 if self._watcher_wanted() else 0.4, 0)),
            ("unpause_token", when(self.token_paused, 8, 0)),
            # MatcherBonds: a match watcher challenges dominated matches; a matcher a won challenge
            # left short bonds again.
            # Guided: while no MatcherBonds credit has been claimed, a winnable challenge is sent while
            # the token refuses a payee (a watcher, or everyone while it is paused): its award is credited.
            ("challenge_match", 15 if self._credited_challenge_wanted() else when(challengeable, 3, 0.3)),
            ("rebond", when(any(b < self.bond_params["minBond"] for b in self.matcher_bonds.values()), 8, 0.05)),
            ("attack", 4),
            # The signed-request path (handlers/signed_requests.py).
            ("sign_and_match", 4),
            ("cancel_signed", 1),
            # The cheaters (handlers/cheaters.py) and governance giving back what it revoked.
            ("edge_job", when(edge_live < 3, 3, 1)),
            ("sybil", when(leases, 4, 0.5)),
            ("abandon", when(any(j.provider == self.abandoning and (j.open or j.abandoned) for j in jobs), 8, 0.3)),
            ("steer", when(self.has_role[("MATCHER", self.matcher2.address)] and open_orders, 3, 0.3)),
            ("regrant_role", when(any(not self.has_role[key] for key in self.primary_roles), 8, 0)),
        ]
