"""The only code that builds calls to the contracts (docs/architecture.md, "One way in").

One typed wrapper per deployed contract (`market.py`, `job_market.py`, `registry.py`,
`config.py`, `token.py`), all reached through `deployed.Contracts`. A write returns a
`transact.Transact` that the one `TransactionSender` sends, labelled with the function's
name in snake_case; a read calls the node at once (`reads.py` batches many into one JSON-RPC
request and names a revert with `reverts.py`). `types.py` is the one Python copy of the
contracts' enums and constants, `structs.py` of the calldata structs keepers build.

Import from the modules, not from this package: `keepers.ids` and `keepers.deployment` sit
below it and must stay importable without it.
"""
