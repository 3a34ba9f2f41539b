"""The rental market's players, in waves of leases that start together and run LEASE_HOURS.

Before the waves, reputation farmers farm: a second account rents the farmer's own farm offer,
priced so that one shortest lease pays exactly the protocol fee that buys the reputation the
gated requests ask (reputation grows with the protocol fees a provider's leases paid; the pay
comes back to the farmer, the fee and the match fee do not; a self-answered liveness challenge
does not count). A wave: tenants post RENTAL requests (some asking a minimum reputation); two
honest and two steering matchers pair them, a minute past the grace after the last changes of
the book (a match challenge needs the cheaper offer unchanged for the grace before the match),
and match-watchers challenge every steered match; at hours LIVENESS_HOURS a watcher challenges
every live lease (the same schedule for every provider, so that strategies differ only by what
they do) and the provider answers, except an offline dark provider, which a watcher then has
slashed; at hour EARLY_CLOSE_HOUR the tenants of every provider's second lease close, and a
front-running provider's second account challenges first (the close calls that challenge off);
the rest expire and a third-party settler closes them in a batch for the bounty.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepers.contracts.structs import RequestSpec
from keepers.contracts.types import LeaseStatus
from scripts.econ import calls
from scripts.econ.chain import Tx, indexed_ids
from scripts.econ.costs import RELET_SHARE, USD, usd
from scripts.econ.strategies import BPS, FARM_LEASES, fees_to_reach
from scripts.econ.world import Agent, World

MODEL = "nvidia-a100-80gb"
PRICE = 3 * USD // 2  # the market price per unit-hour
CEILING = 2 * USD  # every tenant's maximum; where a steering matcher prices its own offer
LEASE_HOURS = 8
EARLY_CLOSE_HOUR = 4
MEAN_LEASE_HOURS = (LEASE_HOURS + EARLY_CLOSE_HOUR) / 2  # every second lease closes early
LIVENESS_HOURS = (2, 6)  # a watcher challenges every live lease at these hours (the same for all)
MIN_REPUTATION = (
    9_000  # asked by a share of the requests: 800 USD of protocol fees, more than a run gives an honest provider
)
MIN_REPUTATION_SHARE = 0.3
WAVE = 50

ROSTER = {
    "provider-honest": 6,
    "provider-dark-bot": 3,
    "provider-dark-offline": 3,
    "provider-dark-timeshare": 3,
    "provider-frontrun": 3,
    "farmer": 2,
    "provider-new": 2,
    "matcher-honest": 2,
    "matcher-steering": 2,
    "tenant-renter": 10,
    "watcher": 2,
    "settler-leases": 2,
    "match-watcher": 2,
}
WITH_ALT = {"provider-frontrun", "farmer", "matcher-steering"}
PROVIDERS = (
    "provider-honest",
    "provider-dark-bot",
    "provider-dark-offline",
    "provider-dark-timeshare",
    "provider-frontrun",
    "farmer",
    "provider-new",
)
# Who answers a liveness challenge with the capacity proof (the whole work, on the leased GPU).
ANSWERS = {
    "provider-honest",
    "provider-dark-timeshare",
    "provider-frontrun",
    "farmer",
    "provider-new",
    "matcher-steering",
}
# A dark bot answers too, with what it has without the GPU in the window: BOT_WORK of the leaves
# (a CPU at a small share of the GPU's rate). The spot check refuses it and the challenge is slashed.
BOT_WORK = 0.01
# provider-dark-timeshare re-lets the GPU and takes it back for each proof: its tenant's keeper finds
# the workload unreachable (docs/delivery.md), challenges at this hour (the provider answers; the
# tenant's own bond comes back to it) and closes the lease; the re-let renter loses service for
# PROOF_SECONDS per proof.
TIMESHARE_DETECT_HOUR = 1
PROOF_SECONDS = 60


@dataclass
class Lease:
    lease_id: int
    tenant: Agent
    provider: Agent  # the player: a steering matcher's own offer counts to the matcher
    provider_address: str
    price: int
    early: bool
    min_reputation: int = 0
    challenged_at_hour: int = -1
    closed: bool = False


def setup(world: World) -> None:
    for strategy, count in ROSTER.items():
        for n in range(count):
            world.add(f"{strategy}-{n}", strategy, alt=strategy in WITH_ALT)


def _provider_address(agent: Agent) -> str:
    """Where the offer lives: a steering matcher runs its provider from its second account."""
    return agent.alt if agent.strategy == "matcher-steering" else agent.address


def provision(world: World) -> None:
    c, chain = world.c, world.chain
    world.bond_matchers(world.of("matcher-honest") + world.of("matcher-steering"))
    providers = [a for key in PROVIDERS for a in world.of(key)] + world.of("matcher-steering")
    chain.round(
        [Tx(_provider_address(p), calls.register(c, "eu-west", f"https://{p.name}.example")) for p in providers]
    )
    chain.round([Tx(_provider_address(p), calls.stake(c, 5_000_000 * USD)) for p in providers])
    adds = []
    for p in providers:
        price = CEILING if p.strategy == "matcher-steering" else PRICE
        adds.append(Tx(_provider_address(p), calls.add_offer(c, MODEL, 1024, price, 30 * 86400), tag=(p, MODEL)))
        if p.strategy == "farmer":  # the farm: FARM_LEASES shortest leases of one unit buy MIN_REPUTATION
            farm_price = _farm_price(world.params)
            adds.append(Tx(p.address, calls.add_offer(c, MODEL, 1, farm_price, 365 * 86400), tag=(p, "farm")))
    for outcome in chain.round(adds):
        agent, key = outcome.tx.tag
        agent.offers[key] = indexed_ids(outcome, c.registry, "OfferAdded")[0]


def _farm_price(params: dict) -> int:
    """Per unit-hour: FARM_LEASES shortest leases of one unit pay, together, at least the protocol
    fee that buys MIN_REPUTATION (rounded up, so the farmer reaches it)."""
    if params["protocolFeeBps"] == 0:
        raise ValueError("protocolFeeBps is 0: no fee, so no reputation can be farmed (or earned)")
    gross = -(-fees_to_reach(MIN_REPUTATION) * BPS // params["protocolFeeBps"])
    per_lease = -(-gross // FARM_LEASES)
    return -(-per_lease * 3600 // params["minLeaseSeconds"])


def farm(world: World) -> dict:
    """farmer: FARM_LEASES self-leases of the shortest length on its one-unit farm offer, each
    paying its share of the protocol fee that buys MIN_REPUTATION. Returns each farmer's
    reputation, gas and tokens spent (the match fees and the protocol fees: its pay comes back)."""
    c, chain, p = world.c, world.chain, world.params
    farmers = world.of("farmer")
    if not farmers:
        return {}
    gas_before = {f.name: world.gas_of(f) for f in farmers}
    wealth_before = world.wealths([a for f in farmers for a in f.addresses])
    seconds, price = p["minLeaseSeconds"], _farm_price(p)
    deposit = p["matchFee"] + p["settleBounty"] + price * seconds // 3600
    matcher = world.of("matcher-honest")[0]
    for _ in range(FARM_LEASES):
        spec = RequestSpec(
            units=1,
            max_price_per_unit_hour=price,
            max_duration_seconds=seconds,
            match_deadline=chain.now() + 3600,
            gpu_model=MODEL,
        )
        creates = [Tx(f.alt, calls.create_request(c, spec, deposit), tag=f) for f in farmers]
        started = [(o.tx.tag, indexed_ids(o, c.market, "RequestCreated")[0]) for o in chain.round(creates)]
        pairs = [(lease, f.offers["farm"]) for f, lease in started]
        chain.one(Tx(matcher.address, calls.match(c, pairs), gas=5_000_000))
        chain.advance(seconds + 1)
        chain.round([Tx(f.alt, calls.close_lease(c, lease)) for f, lease in started])
    wealth_after = world.wealths([a for f in farmers for a in f.addresses])
    return {
        f.name: {
            "reputation": c.registry.reputation_of(f.address),
            "gas": world.gas_of(f) - gas_before[f.name],
            "tokens": sum(wealth_before[a] - wealth_after[a] for a in f.addresses),
        }
        for f in farmers
    }


def _eligible(world: World, reputations: dict[str, int], min_rep: int) -> list[Agent]:
    return [a for key in PROVIDERS for a in world.of(key) if reputations[a.address] >= min_rep]


def run_wave(world: World, wave: int, size: int, stats: dict) -> None:
    c, chain, p, rng = world.c, world.chain, world.params, world.rng
    tenants = world.of("tenant-renter")
    providers = [a for key in PROVIDERS for a in world.of(key)] + world.of("matcher-steering")
    reputations = {_provider_address(a): c.registry.reputation_of(_provider_address(a)) for a in providers}
    # A minute past the grace after the last wave's closes: units they returned count as free
    # before this match (a match challenge needs the cheaper offer unchanged for the grace).
    chain.advance(world.c.matcher_bonds.params()[4] + 60)
    now = chain.now()

    # Tenants post; a share asks a minimum reputation.
    txs = []
    for n in range(size):
        min_rep = MIN_REPUTATION if rng.random() < MIN_REPUTATION_SHARE else 0
        spec = RequestSpec(
            units=1,
            max_price_per_unit_hour=CEILING,
            max_duration_seconds=LEASE_HOURS * 3600,
            match_deadline=now + 3600,
            gpu_model=MODEL,
            min_reputation=min_rep,
        )
        deposit = p["matchFee"] + p["settleBounty"] + CEILING * LEASE_HOURS
        tenant = tenants[n % len(tenants)]
        txs.append(Tx(tenant.address, calls.create_request(c, spec, deposit), tag=(tenant, min_rep)))
    requests = []
    for outcome in chain.round(txs):
        tenant, min_rep = outcome.tx.tag
        requests.append((indexed_ids(outcome, c.market, "RequestCreated")[0], tenant, min_rep))

    # Matchers: honest ones give the cheapest eligible offer (round robin among equals); a
    # steering one gives its own offer at the ceiling whenever the request lets it.
    matchers = world.of("matcher-honest") + world.of("matcher-steering")
    by_matcher: dict[str, list[tuple[int, int]]] = {m.name: [] for m in matchers}
    leases = []
    for n, (request_id, tenant, min_rep) in enumerate(requests):
        matcher = matchers[n % len(matchers)]
        own = matcher.strategy == "matcher-steering" and reputations[matcher.alt] >= min_rep
        if own:
            provider = matcher
        else:
            # Two consecutive leases each: with every second lease of a provider closing early
            # (below), each provider meets the same mix, so that strategies differ by what they
            # do and not by the leases they drew.
            eligible = _eligible(world, reputations, min_rep)
            rr = stats.setdefault("rr", {})
            provider = eligible[(rr.get(min_rep, 0) // 2) % len(eligible)]
            rr[min_rep] = rr.get(min_rep, 0) + 1
        by_matcher[matcher.name].append((request_id, provider.offers[MODEL]))
        matcher.units += 1
        tenant.units += 1
        # Every second lease of each provider closes early.
        nth = stats.setdefault("nth", {})
        nth[provider.name] = nth.get(provider.name, 0) + 1
        if provider is not matcher:
            provider.units += 1
            # An early lease weighs its hours over the mean lease's: a provider that drew one more
            # full lease than early ones (an odd count) is not counted richer per lease for it.
            provider.weight += (EARLY_CLOSE_HOUR if nth[provider.name] % 2 == 0 else LEASE_HOURS) / MEAN_LEASE_HOURS
        price = CEILING if provider.strategy == "matcher-steering" else PRICE
        leases.append(
            Lease(
                request_id, tenant, provider, _provider_address(provider), price, nth[provider.name] % 2 == 0, min_rep
            )
        )
    outcomes = chain.round(
        [Tx(m.address, calls.match(c, pairs), gas=15_000_000) for m in matchers if (pairs := by_matcher[m.name])]
    )
    started = sum(len(indexed_ids(o, c.market, "LeaseStarted")) for o in outcomes)
    if started != len(leases):
        raise RuntimeError(f"lease wave {wave}: {len(leases) - started} pairs skipped")
    stats["leases"] = stats.get("leases", 0) + len(leases)
    stats["steered"] = stats.get("steered", 0) + sum(
        1 for lease in leases if lease.provider.strategy == "matcher-steering"
    )

    # match-watcher: challenges every steered match with an honest provider's cheaper offer, free
    # at the match (MatcherBonds.challengeMatch): the tenant gets its overpayment for the lease's
    # duration and the watcher the challenger's reward, both from the steering matcher's bond.
    match_watchers = world.of("match-watcher")
    steered = [lease for lease in leases if lease.provider.strategy == "matcher-steering"]
    txs = []
    for n, lease in enumerate(steered if match_watchers else []):
        cheaper = _eligible(world, reputations, lease.min_reputation)  # all at PRICE, below the ceiling
        if not cheaper:
            continue
        watcher = match_watchers[n % len(match_watchers)]
        watcher.units += 1
        txs.append(
            Tx(watcher.address, calls.challenge_match(c, lease.lease_id, cheaper[n % len(cheaper)].offers[MODEL]))
        )
    chain.round(txs)
    stats["match_challenges"] = stats.get("match_challenges", 0) + len(txs)

    watchers = world.of("watcher")
    started_at = chain.now()
    for hour in range(1, LEASE_HOURS + 1):
        # On the hour from the match, whatever waited before (a liveness window for a dark
        # provider): every wave keeps the same clock, so a lease's pay does not depend on its wave.
        chain.advance(started_at + hour * 3600 - chain.now())
        live = [lease for lease in leases if not lease.closed]
        if hour == EARLY_CLOSE_HOUR:
            _early_closes(world, [lease for lease in live if lease.early])
            live = [lease for lease in leases if not lease.closed]
        if hour == LEASE_HOURS:
            break
        if hour == TIMESHARE_DETECT_HOUR:
            _timeshare_detected(
                world, [lease for lease in live if lease.provider.strategy == "provider-dark-timeshare"]
            )
            live = [lease for lease in leases if not lease.closed]
        challenged = live if hour in LIVENESS_HOURS else []
        chain.round(
            [
                Tx(watchers[n % len(watchers)].address, calls.challenge_liveness(c, lease.lease_id), tag=lease)
                for n, lease in enumerate(challenged)
            ]
        )
        stats["challenges"] = stats.get("challenges", 0) + len(challenged)
        for n, _ in enumerate(challenged):
            watchers[n % len(watchers)].units += 1
        answers = [lease for lease in challenged if lease.provider.strategy in ANSWERS]
        bots = [lease for lease in challenged if lease.provider.strategy == "provider-dark-bot"]
        chain.round(
            [Tx(lease.provider_address, calls.respond_liveness(c, lease.lease_id)) for lease in answers]
            + [
                Tx(lease.provider_address, calls.respond_liveness(c, lease.lease_id, work=BOT_WORK), expect_revert=True)
                for lease in bots
            ]
        )
        stats["bot_answers_refused"] = stats.get("bot_answers_refused", 0) + len(bots)
        dark = [lease for lease in challenged if lease.provider.strategy not in ANSWERS]
        if dark:
            chain.advance(p["livenessWindowSeconds"] + 1)
            chain.round(
                [
                    Tx(watchers[n % len(watchers)].address, calls.resolve_liveness(c, lease.lease_id))
                    for n, lease in enumerate(dark)
                ]
            )
            for lease in dark:
                lease.closed = True
                _relet(lease, hour)
            stats["slashed"] = stats.get("slashed", 0) + len(dark)

    # Expired: a third-party settler closes them in one batch and keeps the bounties.
    chain.advance(120)
    expired = [lease for lease in leases if not lease.closed]
    settlers = world.of("settler-leases")
    settler = settlers[wave % len(settlers)]
    for start in range(0, len(expired), 200):
        chain.one(
            Tx(
                settler.address,
                calls.close_leases(c, [x.lease_id for x in expired[start : start + 200]]),
                gas=15_000_000,
            )
        )
    settler.units += len(expired)
    for lease in expired:
        lease.closed = True
        _relet(lease, LEASE_HOURS)
    statuses = c.market.statuses([lease.lease_id for lease in leases])
    left = [
        lease.lease_id for lease, s in zip(leases, statuses) if s not in (LeaseStatus.CLOSED, LeaseStatus.TERMINATED)
    ]
    if left:
        raise RuntimeError(f"lease wave {wave}: leases {left[:5]} not settled")


def _relet(lease: Lease, hours: float) -> None:
    """A dark provider re-lets the leased units elsewhere while it is paid for them."""
    if lease.provider.strategy in ("provider-dark-bot", "provider-dark-offline"):
        lease.provider.offchain_usd += RELET_SHARE * usd(lease.price) * hours


def _timeshare_detected(world: World, leases: list[Lease]) -> None:
    """provider-dark-timeshare's leases at TIMESHARE_DETECT_HOUR: the tenant's keeper found the workload
    unreachable; it challenges (docs/delivery.md), the provider takes the GPU back and answers with the
    whole work (the tenant's bond goes back to the tenant), and the workload still unreachable, the
    tenant closes. The GPU was
    re-let from the match, and stays re-let for the hours the lease would have run (the GPU-hours an
    honest provider's lease holds), less PROOF_SECONDS of the re-let renter's service per proof."""
    c, chain = world.c, world.chain
    chain.round([Tx(lease.tenant.address, calls.challenge_liveness(c, lease.lease_id)) for lease in leases])
    chain.round([Tx(lease.provider_address, calls.respond_liveness(c, lease.lease_id)) for lease in leases])
    chain.round([Tx(lease.tenant.address, calls.close_lease(c, lease.lease_id)) for lease in leases])
    for lease in leases:
        lease.closed = True
        would_run = EARLY_CLOSE_HOUR if lease.early else LEASE_HOURS
        lease.provider.offchain_usd += RELET_SHARE * usd(lease.price) * (would_run - PROOF_SECONDS / 3600)
    world.counters["timeshare_closed"] += len(leases)


def _early_closes(world: World, closing: list[Lease]) -> None:
    """Tenants close; a front-running provider's second account challenges first (a higher
    priority fee). The close calls the challenge off (LivenessCalledOff): the bond goes back to
    the challenger, nothing is slashed and the lease is paid up to the challenge's time, the
    close's own block, so the front-run buys nothing and costs the challenge's gas. A close
    that still reverts (it should not) waits for the provider's answer and is sent again."""
    c, chain, p = world.c, world.chain, world.params
    txs = []
    for lease in closing:
        if lease.provider.strategy == "provider-frontrun":
            txs.append(Tx(lease.provider.alt, calls.challenge_liveness(c, lease.lease_id), priority=3))
            world.counters["closes_front_run"] += 1
        txs.append(Tx(lease.tenant.address, calls.close_lease(c, lease.lease_id), tag=lease, expect_revert=True))
    retry = [o.tx.tag for o in chain.round(txs) if o.tx.tag is not None and not o.ok]
    for lease in closing:
        if lease not in retry:
            lease.closed = True
            _relet(lease, EARLY_CLOSE_HOUR)
    if retry:
        blocked_at = chain.now()
        chain.advance(p["livenessWindowSeconds"] - 5)
        chain.round([Tx(lease.provider_address, calls.respond_liveness(c, lease.lease_id)) for lease in retry])
        chain.round([Tx(lease.tenant.address, calls.close_lease(c, lease.lease_id)) for lease in retry])
        delay = chain.now() - blocked_at
        for lease in retry:
            lease.closed = True
            _relet(lease, EARLY_CLOSE_HOUR)
        world.counters["closes_delayed"] += len(retry)
        world.counters["front_run_delay_seconds"] += delay * len(retry)
