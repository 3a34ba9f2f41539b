from web3 import HTTPProvider, Web3

from keepers.indexer import CheckpointStore, EventIndexer
from keepers.observability import make_logger


class RangeLimitedProvider(HTTPProvider):
    """A node that refuses eth_getLogs over more than `max_blocks` blocks, as public RPCs do."""

    def __init__(self, url, max_blocks):
        super().__init__(url)
        self.max_blocks = max_blocks
        self.refusals = 0

    def make_request(self, method, params):
        if method == "eth_getLogs":
            span = int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16) + 1
            if span > self.max_blocks:
                self.refusals += 1
                return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "query exceeds block range"}}
        return super().make_request(method, params)


class Consumer:
    """An idempotent consumer: events keyed by position, forgotten above a rollback block."""

    def __init__(self):
        self.events = {}
        self.rollbacks = []

    def on_event(self, event):
        self.events[(event.block_number, event.log_index)] = event

    def on_rollback(self, block_number):
        self.rollbacks.append(block_number)
        self.events = {key: event for key, event in self.events.items() if key[0] <= block_number}

    def minted(self):
        return [(event.args["to"], event.args["value"]) for _, event in sorted(self.events.items())]


def make_indexer(w3, token, state_dir, consumer, *, chunk_blocks=100):
    return EventIndexer(
        w3,
        [token],
        CheckpointStore(state_dir),
        name="token",
        start_block=0,
        chunk_blocks=chunk_blocks,
        confirmations=0,
        lookback=16,
        on_event=consumer.on_event,
        on_rollback=consumer.on_rollback,
        logger=make_logger("test", "indexer"),
        event_names=["Transfer"],
    )


def mint(w3, token, to, amount):
    w3.eth.wait_for_transaction_receipt(token.functions.mint(to, amount).transact({"from": w3.eth.accounts[0]}))


def test_delivers_decoded_events_in_order(w3, token, tmp_path):
    alice, bob = w3.eth.accounts[1:3]
    mint(w3, token, alice, 5)
    mint(w3, token, bob, 6)
    consumer = Consumer()
    indexer = make_indexer(w3, token, tmp_path, consumer)
    assert indexer.poll() == 2
    assert consumer.minted() == [(alice, 5), (bob, 6)]
    (first, _) = sorted(consumer.events.values(), key=lambda event: event.block_number)
    assert first.name == "Transfer" and first.address == token.address
    assert first.block_hash == w3.eth.get_block(first.block_number)["hash"].to_0x_hex()
    assert indexer.scanned_block == w3.eth.block_number


def test_halves_the_range_when_the_node_refuses_it(anvil, w3, token, tmp_path):
    recipients = w3.eth.accounts[1:7]
    for amount, recipient in enumerate(recipients, start=1):
        mint(w3, token, recipient, amount)
    provider = RangeLimitedProvider(anvil.url, max_blocks=2)
    limited = Web3(provider)
    consumer = Consumer()
    indexer = make_indexer(limited, limited.eth.contract(address=token.address, abi=token.abi), tmp_path, consumer)
    assert indexer.poll() == 6
    assert provider.refusals > 0
    assert consumer.minted() == [(recipient, amount) for amount, recipient in enumerate(recipients, start=1)]


def test_checkpoint_survives_a_new_indexer(w3, token, tmp_path):
    alice, bob = w3.eth.accounts[1:3]
    mint(w3, token, alice, 5)
    first_run = Consumer()
    assert make_indexer(w3, token, tmp_path, first_run).poll() == 1
    mint(w3, token, bob, 6)
    second_run = Consumer()
    restarted = make_indexer(w3, token, tmp_path, second_run)
    assert restarted.poll() == 1
    assert second_run.minted() == [(bob, 6)]


def test_reorg_rolls_back_and_redelivers(w3, token, tmp_path):
    alice, bob = w3.eth.accounts[1:3]
    consumer = Consumer()
    indexer = make_indexer(w3, token, tmp_path, consumer)
    indexer.poll()
    fork_block = w3.eth.block_number
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    mint(w3, token, alice, 5)
    assert indexer.poll() == 1 and consumer.minted() == [(alice, 5)]
    w3.provider.make_request("evm_revert", [snapshot])
    mint(w3, token, bob, 7)
    w3.provider.make_request("evm_mine", [])
    assert indexer.poll() == 1
    assert consumer.rollbacks == [fork_block]
    assert consumer.minted() == [(bob, 7)]
    assert indexer.scanned_block == w3.eth.block_number
