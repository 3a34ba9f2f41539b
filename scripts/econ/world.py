"""The agents, what the chain says they own, and the books that must balance.

An agent is one player (one strategy) with one or two addresses (a second account for the
attacks that need one). Its on-chain wealth is its payment tokens, its stake in the registry
and its unclaimed credits in the three contracts; its profit is the change of that wealth,
less the gas its transactions used (from receipts) and the compute it paid off-chain, plus
what it earned off-chain (a result's value to a tenant, a dark provider's re-let income).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from web3 import Web3

from keepers.contracts.deployed import Contracts
from keepers.deployment import Deployment
from keepers.ids import to_bytes32
from scripts.econ import calls
from scripts.econ.chain import Chain, Tx
from scripts.econ.costs import USD, gas_usd, usd

FUNDS = 10_000_000 * USD  # minted to every agent once, before the first snapshot
# Bonded by each matcher on top of its minimum: twice the value of the most the simulation's
# waves have a matcher match within one challenge window (its exposure cap is half its bond).
MATCHER_EXPOSURE_BOND = 4_000_000 * USD


@dataclass
class Agent:
    name: str
    strategy: str
    address: str
    alt: str | None = None  # a second account the same player controls
    units: int = 0  # jobs, leases, attestations or settlements: what the profit is counted per
    # Where units are not alike, what each weighs (a provider's lease: its hours over the mean
    # lease's), so a player's profit per unit does not depend on the mix it drew; 0: units.
    weight: float = 0.0
    offchain_usd: float = 0.0  # compute paid (negative), value received or re-let income (positive)
    offers: dict[str, int] = field(default_factory=dict)  # GPU model -> offer id

    @property
    def per(self) -> float:
        """What the profit is divided by: the weighted units, or the units."""
        return self.weight or self.units

    @property
    def addresses(self) -> list[str]:
        return [self.address] + ([self.alt] if self.alt else [])


def address_of(seed: int, name: str) -> str:
    return Web3.to_checksum_address(Web3.keccak(text=f"leasehold-econ/{seed}/{name}")[12:])


class World:
    """The deployed protocol, its parameters, the agents and their books."""

    def __init__(self, w3: Web3, deployment: Deployment, governance: str, seed: int) -> None:
        self.w3 = w3
        self.c = Contracts(w3, deployment)
        self.chain = Chain(w3)
        self.governance = governance
        self.seed = seed
        self.rng = random.Random(seed)
        self.agents: dict[str, Agent] = {}
        self.params = self.c.config.params()
        self.treasury = self.c.config.treasury()
        self.start_wealth: dict[str, int] = {}
        self.start_protocol = 0
        self.end_wealth: dict[str, int] = {}
        self.start_gas: dict[str, int] = {}
        self._collateral: dict[str, int] = {}
        self.counters: dict[str, int] = defaultdict(int)  # what happened, for the report
        self.check_starts: dict[str, float] = {}  # a solver's random start of the whistleblowers' sample

    # ---------------------------------------------------------------- agents

    def add(self, name: str, strategy: str, *, alt: bool = False) -> Agent:
        agent = Agent(
            name, strategy, address_of(self.seed, name), address_of(self.seed, name + "/alt") if alt else None
        )
        self.agents[name] = agent
        return agent

    def of(self, strategy: str) -> list[Agent]:
        return [a for a in self.agents.values() if a.strategy == strategy]

    def collateral_per_unit(self, model: str) -> int:
        if model not in self._collateral:
            self._collateral[model] = self.c.config.gpu_model(to_bytes32(model))["collateralPerUnit"]
        return self._collateral[model]

    def fund_all(self) -> None:
        """Ether for gas, tokens and approvals for every address; roles where the strategy needs one."""
        addresses = [address for agent in self.agents.values() for address in agent.addresses]
        self.chain.fund_ether([*addresses, self.governance])
        self.chain.round([Tx(self.governance, calls.mint(self.c, address, FUNDS)) for address in addresses])
        self.chain.round([Tx(address, t) for address in addresses for t in calls.approve_all(self.c)])

    def grant(self, role: str, agents: list[Agent]) -> None:
        self.chain.round([Tx(self.governance, calls.grant_role(self.c, role, agent.address)) for agent in agents])

    def bond_matchers(self, agents: list[Agent]) -> None:
        """A matcher bonds five times MatcherBonds' minimum from its own tokens (part of its wealth
        after), so that won challenges of its matches (each disgorges the lease's value) leave it
        bonded enough to keep matching, and twice the most value it matches in one challenge window
        (the exposure cap lets it match half its active bond per window,
        docs/matching-accountability.md)."""
        amount = 5 * self.c.matcher_bonds.params()[0] + MATCHER_EXPOSURE_BOND
        self.chain.round([Tx(agent.address, calls.bond_matcher(self.c, amount)) for agent in agents])

    def bonds(self, addresses: list[str]) -> list[int]:
        """Each address's matcher bond (unbonding included: still its own, and still slashable)."""
        return [self.c.matcher_bonds.bond_of(address)[0] for address in addresses]

    # ---------------------------------------------------------------- wealth and the books

    def wealths(self, addresses: list[str]) -> dict[str, int]:
        """Tokens held, staked in the registry, bonded as a matcher, and credited in any of the three
        contracts, at one block."""
        c = self.c
        block = self.w3.eth.block_number
        columns = [
            c.payment_token.balances_of(addresses, block=block),
            [
                p["freeStake"] + p["lockedStake"] + p["unbondingStake"]
                for p in c.registry.providers(addresses, block=block)
            ],
            c.market.credits_of(addresses, block=block),
            c.job_market.credits_of(addresses, block=block),
            c.registry.credits_of(addresses, block=block),
            self.bonds(addresses),  # read at the same block: nothing is sent while the books are read
        ]
        return {address: sum(column[n] for column in columns) for n, address in enumerate(addresses)}

    def protocol_wealth(self) -> int:
        """The treasury's tokens and credits, the fees both markets hold for it, and the job
        market's verifier pool (the levy of unverified jobs, held for sampled verifiers)."""
        return (
            self.wealths([self.treasury])[self.treasury]
            + self.c.market.accrued_fees()
            + self.c.job_market.accrued_fees()
            + self.c.job_market.verifier_pool()
        )

    def all_addresses(self) -> list[str]:
        return [a for agent in self.agents.values() for a in agent.addresses]

    def snapshot(self) -> None:
        self.start_wealth = self.wealths(self.all_addresses())
        self.start_protocol = self.protocol_wealth()
        self.end_wealth = dict(self.start_wealth)
        self.start_gas = dict(self.chain.gas.by_sender)  # setup's gas is nobody's strategy

    def close_books(self) -> None:
        """Reads every agent's wealth once more: profits are computed against this."""
        self.end_wealth = self.wealths(self.all_addresses())

    def token_delta(self, agent: Agent) -> int:
        return sum(self.end_wealth[a] - self.start_wealth[a] for a in agent.addresses)

    def gas_of(self, agent: Agent) -> int:
        return sum(self.chain.gas.by_sender.get(a, 0) - self.start_gas.get(a, 0) for a in agent.addresses)

    def profit_usd(self, agent: Agent, network: str) -> float:
        return usd(self.token_delta(agent)) - gas_usd(self.gas_of(agent), network) + agent.offchain_usd

    def conservation(self) -> dict[str, int]:
        """The books: every agent's change of wealth plus the protocol's must be zero, and each
        contract must hold exactly what it owes (stake, credits, fees; no escrow left open)."""
        self.close_books()
        agents_delta = sum(self.token_delta(agent) for agent in self.agents.values())
        protocol_delta = self.protocol_wealth() - self.start_protocol
        known = [*self.all_addresses(), self.treasury]
        owed = {
            "LeaseMarket": self.c.market.accrued_fees() + sum(self.c.market.credits_of(known)),
            "JobMarket": self.c.job_market.accrued_fees()
            + self.c.job_market.verifier_pool()
            + sum(self.c.job_market.credits_of(known)),
            "ProviderRegistry": self.c.registry.total_stake() + sum(self.c.registry.credits_of(known)),
            "MatcherBonds": sum(self.bonds(known)),
        }
        held = {
            "LeaseMarket": self.c.payment_token.balance_of(self.c.market.address),
            "JobMarket": self.c.payment_token.balance_of(self.c.job_market.address),
            "ProviderRegistry": self.c.payment_token.balance_of(self.c.registry.address),
            "MatcherBonds": self.c.payment_token.balance_of(self.c.matcher_bonds.address),
        }
        return {
            "agents_delta": agents_delta,
            "protocol_delta": protocol_delta,
            "residual": agents_delta + protocol_delta,
            **{f"unowed_{name}": held[name] - owed[name] for name in held},
        }
