"""The deployment's contracts as typed wrappers, built once per web3 and deployment."""

from __future__ import annotations

from functools import cached_property

from web3 import Web3

from keepers.contracts.config import ProtocolConfig
from keepers.contracts.job_market import JobMarket
from keepers.contracts.market import LeaseMarket
from keepers.contracts.matcher_bonds import MatcherBonds
from keepers.contracts.registry import ProviderRegistry
from keepers.contracts.token import Token
from keepers.deployment import Deployment


class Contracts:
    """`config`, `registry`, `market`, `job_market`, `payment_token`, `stake_token` of one deployment.

    Each is built on first use: a deployment without a JobMarket serves every role that
    does not ask for it (asking raises `DeploymentError` naming what the file holds).
    """

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment

    def has(self, name: str) -> bool:
        return name in self.deployment.contracts

    @cached_property
    def config(self) -> ProtocolConfig:
        return ProtocolConfig(self.w3, self.deployment.contract(self.w3, "ProtocolConfig"))

    @cached_property
    def registry(self) -> ProviderRegistry:
        return ProviderRegistry(self.w3, self.deployment.contract(self.w3, "ProviderRegistry"))

    @cached_property
    def market(self) -> LeaseMarket:
        return LeaseMarket(self.w3, self.deployment.contract(self.w3, "LeaseMarket"))

    @cached_property
    def job_market(self) -> JobMarket:
        return JobMarket(self.w3, self.deployment.contract(self.w3, "JobMarket"))

    @cached_property
    def matcher_bonds(self) -> MatcherBonds:
        return MatcherBonds(self.w3, self.deployment.contract(self.w3, "MatcherBonds"))

    @cached_property
    def payment_token(self) -> Token:
        return Token(self.w3, self.deployment.contract(self.w3, "PaymentToken"))

    @cached_property
    def stake_token(self) -> Token:
        return Token(self.w3, self.deployment.contract(self.w3, "StakeToken"))
