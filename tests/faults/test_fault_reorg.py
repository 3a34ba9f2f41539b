"""Scenario 3: re-orgs of 1, 3 and 12 blocks under a running matcher and settler.

The keepers run against a copy of the session chain (so brownie's snapshots stay
intact) and the test re-orgs it with `anvil_reorg`. Users' transactions in the
replaced blocks are re-included, as a real chain re-includes what it dropped from
the mempool; the keepers' own transactions are not, so every decision they took on
the replaced blocks (a match, a closed lease) has to be found missing and redone.
"""

from keepers.roles.matcher import MatcherKeeper
from keepers.roles.settler import SettlerKeeper
from scripts.deploy import bond_matcher

from chain_faults import (
    Books,
    KeeperRun,
    chain_copy,
    client_on,
    move_time,
    provider_with_offer,
    rental_request,
    wait_until,
)
from protocol_setup import HOUR

MATCHED = "MATCHED"
INDEXERS = ("matcher-view", "settler-view", "settler-jobs")  # every indexer the two keepers run


class Reorgs:
    """Re-orgs the chain copy `node` under the running keepers `run`."""

    def __init__(self, node, run):
        self.node = node
        self.run = run

    def head(self) -> int:
        return int(self.node.rpc("eth_blockNumber"), 16)

    def indexers(self):
        """Every indexer of every keeper: the market view's, and the settler's job book's."""
        for keeper in self.run.keepers:
            yield keeper.view.indexer
            jobs = getattr(keeper, "jobs", None)
            if jobs is not None and jobs.indexer is not None:
                yield jobs.indexer

    def indexed_to_head(self) -> bool:
        head = self.head()
        return all(indexer.scanned_block >= head for indexer in self.indexers())

    def pad(self, first_block: int, depth: int) -> None:
        """Mines empty blocks until the last `depth` blocks start at `first_block`."""
        assert self.head() - first_block + 1 <= depth, "the case mined more blocks than the re-org replaces"
        while self.head() - first_block + 1 < depth:
            self.node.rpc("evm_mine")

    def reorg(self, depth: int, drop: set[str]) -> tuple[int, int]:
        """Replaces the last `depth` blocks once the keepers have seen them, re-including every transaction
        whose sender is not in `drop`; returns (re-included, dropped) counts."""
        assert wait_until(self.indexed_to_head, timeout=15), "keepers never scanned the blocks to replace"
        head = self.head()
        replay, dropped = [], 0
        for number in range(head - depth + 1, head + 1):
            for tx in self.node.rpc("eth_getBlockByNumber", [hex(number), True])["transactions"]:
                if tx["from"].lower() in drop:
                    dropped += 1
                else:
                    replay.append(self.node.rpc("eth_getRawTransactionByHash", [tx["hash"]]))
        self.node.rpc("anvil_reorg", [depth, [[raw, 0] for raw in replay]])
        return len(replay), dropped

    def counters(self) -> dict[tuple[str, str], tuple[float, float]]:
        """Per keeper and indexer: (re-orgs seen, blocks rolled back)."""
        found: dict[tuple[str, str], list[float]] = {}
        for keeper in self.run.keepers:
            for family in keeper.metrics.registry.collect():
                for sample in family.samples:
                    if sample.name in ("reorgs_total", "reorg_rolled_back_blocks_total"):
                        entry = found.setdefault((keeper.name, sample.labels["indexer"]), [0.0, 0.0])
                        entry[sample.name != "reorgs_total"] = sample.value
        return {key: (seen, rolled) for key, (seen, rolled) in found.items()}

    def logged(self) -> list[int]:
        return [len(logs.events("reorg")) for logs in self.run.logs.values()]


def reported(before_counters, before_logs, reorgs: Reorgs, depth: int) -> tuple[bool, bool, str]:
    """Whether every keeper logged the re-org, and every indexer counted it with at least `depth` blocks rolled back."""
    after = reorgs.counters()
    rolled = {key: rolled - before_counters.get(key, (0, 0))[1] for key, (_, rolled) in after.items()}
    in_metrics = len(after) == len(INDEXERS) and all(
        seen - before_counters.get(key, (0, 0))[0] >= 1 and rolled[key] >= depth for key, (seen, _) in after.items()
    )
    in_logs = all(now > then for now, then in zip(reorgs.logged(), before_logs))
    return in_logs, in_metrics, ", ".join(f"{indexer} {int(blocks)}" for (_, indexer), blocks in sorted(rolled.items()))


def test_keepers_redo_what_reorgs_of_1_3_and_12_blocks_took_away(
    fault_report, protocol, funded_key, client_for, keeper_config, accounts, anvil, tmp_path
):
    deployment, deployment_path = protocol
    provider_with_offer(client_for(funded_key()), units=8)
    matcher_key, settler_key = funded_key(), funded_key()
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), matcher_key.address, True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, matcher_key.address, payer=accounts[0])
    tenant_keys = [funded_key() for _ in range(3)]
    keepers = {matcher_key.address.lower(), settler_key.address.lower()}
    failures = []

    with chain_copy(anvil, tmp_path / "chain.json") as copy:
        node = copy.node
        run = KeeperRun(keeper_config)
        try:
            run.start(MatcherKeeper, matcher_key, rpc_url=node.url)
            run.start(SettlerKeeper, settler_key, rpc_url=node.url)
            tenants = [client_on(keeper_config, node.url, key) for key in tenant_keys]
            books = Books(node.url, deployment_path)
            reorgs = Reorgs(node, run)

            # Depth 1: the block holding the matcher's match is replaced without it.
            first = rental_request(tenants[0])
            assert wait_until(lambda: tenants[0].request(first).status == MATCHED)
            match_block = reorgs.head()
            counters, logs = reorgs.counters(), reorgs.logged()
            replayed, dropped = reorgs.reorg(1, drop=keepers)
            redone = wait_until(lambda: tenants[0].request(first).status == MATCHED)
            # Each keeper polls on its own tick: give the slowest indexer time to see the re-org.
            wait_until(lambda: all(reported(counters, logs, reorgs, 1)[:2]), timeout=15)
            in_logs, in_metrics, rolled = reported(counters, logs, reorgs, 1)
            checks = books.check([first], settled=False)
            fault_report.record(
                3,
                "re-org of 1 block",
                injected=f"anvil_reorg depth 1 at block {match_block}: the matcher's matchRequests dropped",
                observed=(
                    f"blocks rolled back: {rolled}; request {first} open again and "
                    f"matched again: {'yes' if redone else 'no'}; one LeaseStarted on the new chain"
                ),
                **checks,
                fault_in_logs=in_logs,
                fault_in_metrics=in_metrics,
            )
            if not (redone and all(checks.values()) and in_logs and in_metrics):
                failures.append("depth 1")

            # Depth 3: a request's creation and its match are replaced; another tenant's request takes its id.
            tenant_b, tenant_c = tenants[1], tenants[2]
            balance_b = tenant_b.balance_of(tenant_b.payment_token)
            ghost = rental_request(tenant_b)
            assert wait_until(lambda: tenant_b.request(ghost).status == MATCHED)
            counters, logs = reorgs.counters(), reorgs.logged()
            reorgs.pad(books.created_block(ghost), 3)
            replayed, dropped = reorgs.reorg(3, drop=keepers | {tenant_b.address.lower()})
            gone = books.market.functions.requestStatusOf(ghost).call() == 0  # Market.RequestStatus.NULL
            second = rental_request(tenant_c, units=2)
            redone = second == ghost and wait_until(lambda: tenant_c.request(second).status == MATCHED)
            lease = tenant_c.lease(second)
            right_lease = lease.tenant == tenant_c.address and lease.units == 2
            # Each keeper polls on its own tick: give the slowest indexer time to see the re-org.
            wait_until(lambda: all(reported(counters, logs, reorgs, 3)[:2]), timeout=15)
            in_logs, in_metrics, rolled = reported(counters, logs, reorgs, 3)
            checks = books.check([first, second], settled=False)
            b_refunded = tenant_b.balance_of(tenant_b.payment_token) == balance_b
            checks["no_payment_lost"] = checks["no_payment_lost"] and b_refunded
            fault_report.record(
                3,
                "re-org of 3 blocks",
                injected=(
                    f"anvil_reorg depth 3: request {ghost}'s creation and the matcher's match of it dropped "
                    f"({dropped} transactions), then another tenant's request took id {ghost}"
                ),
                observed=(
                    f"blocks rolled back: {rolled}; the vanished request left no lease and its "
                    f"tenant kept its deposit; the new request {second} was matched for its own tenant and "
                    f"units: {'yes' if redone and right_lease else 'no'}"
                ),
                **checks,
                fault_in_logs=in_logs,
                fault_in_metrics=in_metrics,
            )
            if not (gone and redone and right_lease and all(checks.values()) and in_logs and in_metrics):
                failures.append("depth 3")

            # Depth 12: two requests, their matches and four lease closings replaced; users' transactions
            # re-included, the keepers' dropped; the leases then run out again.
            start_block = reorgs.head() + 1
            later = [rental_request(tenants[0]) for _ in range(2)]
            assert wait_until(lambda: all(tenants[0].request(r).status == MATCHED for r in later))
            every = [first, second, *later]
            move_time(node, 3 * HOUR)
            assert wait_until(lambda: all(tenants[0].lease(r).status == "CLOSED" for r in every))
            counters, logs = reorgs.counters(), reorgs.logged()
            reorgs.pad(start_block, 12)
            replayed, dropped = reorgs.reorg(12, drop=keepers)
            rematched = wait_until(lambda: all(tenants[0].request(r).status == MATCHED for r in later))
            move_time(node, 3 * HOUR)
            reclosed = wait_until(lambda: all(tenants[0].lease(r).status == "CLOSED" for r in every))
            # Each keeper polls on its own tick: give the slowest indexer time to see the re-org.
            wait_until(lambda: all(reported(counters, logs, reorgs, 12)[:2]), timeout=15)
            in_logs, in_metrics, rolled = reported(counters, logs, reorgs, 12)
            checks = books.check(every, settled=True)
            fault_report.record(
                3,
                "re-org of 12 blocks",
                injected=(
                    f"anvil_reorg depth 12: {replayed} users' transactions re-included, {dropped} keeper "
                    f"transactions (matches, lease closings) dropped"
                ),
                observed=(
                    f"blocks rolled back: {rolled}; requests {later} matched again: {'yes' if rematched else 'no'}; "
                    f"all four leases closed again once their time ran out: {'yes' if reclosed else 'no'}"
                ),
                **checks,
                fault_in_logs=in_logs,
                fault_in_metrics=in_metrics,
            )
            if not (rematched and reclosed and all(checks.values()) and in_logs and in_metrics):
                failures.append("depth 12")
        finally:
            run.stop()
    assert not failures, failures
