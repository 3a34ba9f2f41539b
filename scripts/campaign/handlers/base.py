"""What every handler shares: sending a call as the walk does, and picking actors and ids.

`_call` simulates first (at the next block's timestamp), sends only what would go through, checks
a refusal against the function's declared errors, and folds a success into the books;
`_settle_again` checks invariant 6 after a settle.
"""

from __future__ import annotations

from brownie import web3
from brownie.exceptions import VirtualMachineError, decode_typed_error

from scripts.campaign.chain import block_time, mined
from scripts.campaign.failures import Violation, require
from scripts.campaign.functions import ALLOWED, PAUSED, REFUSED


class Calls:
    """Calling and picking (a mixin of Campaign)."""

    def _call(self, contract, fn: str, args: tuple, sender, *, expect: set[str] | None = None):
        """Sends one transaction. Returns the receipt, or None after an allowed revert.

        `expect` narrows the allowed errors when the walk knows the call must fail that way.
        """
        name = f"{self.contracts[contract.address]}.{fn}"
        self._touched.add(sender.address)
        refusal = self._simulate(contract, fn, args, sender)
        if refusal is None:
            self.ts += 1  # every transaction mines a block one second after the previous one
            try:
                tx = mined(getattr(contract, fn)(*args, {"from": sender}))
            except VirtualMachineError as exc:
                refusal = exc.revert_msg or ""
        if refusal is not None:
            error = refusal.split(":")[0].strip()
            allowed = ALLOWED[name] if expect is None else expect
            require(
                error in allowed,
                f"{name} by {sender.address[:10]} reverted with {refusal or 'no reason'!r}; allowed: {sorted(allowed)}",
            )
            if error == PAUSED:
                require(self.token_paused, f"{name}: the token refused as paused, which it is not")
            elif error in REFUSED:
                refused = web3.to_checksum_address(refusal.split(":")[1].strip())
                require(refused in self.blocked, f"{name}: the token refused {refused}, which is not blocklisted")
            self.stats.reverted[name] += 1
            self.stats.errors[error] += 1
            self.stats.refusals[(name, error)] += 1
            self._record(name, sender.address, refusal)
            return None
        self._record(name, sender.address, "ok", tx.gas_used, len(tx.logs))
        require(expect is None or not expect, f"{name} succeeded where it must revert with {sorted(expect or ())}")
        mined_at = block_time(tx.block_number)
        require(mined_at == self.ts, f"block time {mined_at} != model {self.ts}")
        self.stats.ok[name] += 1
        self._fold(tx)
        self._check_gas(name, tx)
        return tx

    def _simulate(self, contract, fn: str, args: tuple, sender) -> str | None:
        """Runs the call at the next block's timestamp (a claim: and number) without mining it: the
        decoded revert, or None when it would go through. A refused call then costs one eth_call,
        not a block."""
        call = {
            "from": sender.address,
            "to": contract.address,
            "data": getattr(contract, fn).encode_input(*args),
            "gas": hex(30_000_000),
        }
        block = {"time": hex(self.ts + 1)}
        if fn in ("claimVerification", "claimAndAttest"):
            # A claim reads its own block's number against the result's, and the result's hash.
            block["number"] = hex(web3.eth.block_number + 1)
        response = web3.provider.make_request("eth_call", [call, "latest", {}, block])
        if "error" not in response:
            return None
        data = response["error"].get("data")
        if isinstance(data, dict):
            data = data.get("data")
        return decode_typed_error(data) if data and data != "0x" else ""

    def _pick(self, items):
        items = list(items)
        return self.rng.choice(items) if items else None

    def _registered(self):
        return [p for p in self.providers.values() if p.registered]

    def _mark(self, *ids: int) -> None:
        self._touched.update(ids)

    def _mark_offer(self, offer_id: int) -> None:
        self._touched.add(-offer_id)

    def _leases(self, predicate=lambda o: True):
        leases = (self.orders[i] for i in sorted(self.live_orders))
        return [o for o in leases if o.state == "lease" and predicate(o)]

    def _live_jobs(self, predicate=lambda j: True):
        return [self.jobs[i] for i in sorted(self.live_jobs) if predicate(self.jobs[i])]

    def _any_order_id(self) -> int:
        """Mostly a live id; sometimes a settled or never-used one, which must be refused."""
        roll = self.rng.random()
        if roll < 0.1 or not self.orders:
            return self.rng.choice([0, 10**9, len(self.orders) + 5])
        if roll < 0.3:
            return self.rng.choice(list(self.orders))
        live = sorted(self.live_orders | self.live_jobs)
        return self.rng.choice(live) if live else self.rng.choice(list(self.orders))

    def _settle_again(self, contract, fn: str, args: tuple, sender, error: str) -> None:
        """Invariant 6: a second settle of what was just settled is refused, with `error`."""
        try:
            getattr(contract, fn).call(*args, {"from": sender})
        except VirtualMachineError as exc:
            got = (exc.revert_msg or "").split(":")[0]
            require(got == error, f"second {fn} reverted with {exc.revert_msg!r}, expected {error}")
            return
        raise Violation(f"second {fn}{args} went through")

    def _account(self, address: str):
        if address == self.permit_tenant.address:
            return self.permit_sender
        for account in [*self.tenants, self.attacker, self.edge_tenant, *(p.account for p in self.providers.values())]:
            if account.address == address:
                return account
        raise KeyError(address)

    def _account_any(self, address: str):
        for account in [
            *self.whistleblowers,
            *self.verifiers,
            self.settler,
            self.attacker,
            self.edge_tenant,
            self.edge_expirer,
            self.sybil,
            self.solver_alt,
            *self.tenants,
            *(p.account for p in self.providers.values()),
        ]:
            if account.address == address:
                return account
        raise KeyError(address)
