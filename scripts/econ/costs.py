"""What the simulation prices off-chain, as documented constants (docs/economics.md, "Costs").

Gas is measured, never guessed: every transaction's `gasUsed` from its receipt is charged to
its sender at each of the two gas prices below. Compute is not on the chain: its cost is the
issue's assumption (issue 12), re-executing a job costs about half of its price.
"""

from __future__ import annotations

USD = 10**6  # the payment token's units per USD (TestStablecoin, 6 decimals)
ETH_USD = 3_000.0
GWEI = 10**-9  # ETH per gwei
GAS_PRICES_GWEI = {"L2": 0.05, "L1": 20.0}

# Computing (or re-computing) a job costs this share of its price: the solver pays it to solve,
# an honest verifier or a checking whistleblower pays it again to re-execute (issue 12).
COMPUTE_COST_SHARE = 0.5
# A dark provider re-lets the leased units elsewhere at this share of the lease's price.
RELET_SHARE = 1.0


def gas_usd(gas: int, network: str) -> float:
    """What `gas` units cost in USD on `network` ("L2" or "L1")."""
    return gas * GAS_PRICES_GWEI[network] * GWEI * ETH_USD


def usd(amount: int) -> float:
    """Token units as USD."""
    return amount / USD
