"""`leasehold dev`: a local chain of one's own, ready to run a provider and a tenant by hand.

`leasehold dev up` starts Anvil (by PID, in a session of its own, so it outlives the
command), deploys the protocol with brownie, grants the keeper roles, bonds the matcher, funds the
accounts from the faucet (ether and the test stablecoin) and writes, in one
directory (default `.leasehold-dev/`):

    dev.json              Anvil's PID, URL, the deployment file and every account
    deployments/31337.json
    <name>.toml           a configuration per account: provider, tenant, matcher, settler, prober
    keys/<name>.json      its keystore, and keys/<name>.password (Anvil's well-known keys:
                          for a local chain only)

`leasehold dev down` stops that Anvil by its PID. `leasehold dev fund` and
`leasehold dev grant-role` are the faucet and the role grant for any address.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import sys
import time
import warnings
from pathlib import Path

from eth_account import Account
from eth_utils import is_address, to_checksum_address
from web3 import HTTPProvider, Web3

from keepers.contracts.config import ProtocolConfig
from keepers.contracts.token import Token
from keepers.deployment import Deployment, load_deployment
from keepers.errors import KeeperError

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_DIR = Path(".leasehold-dev")
DEFAULT_PORT = 8545
CHAIN_ID = 31337
USD = 10**6
# Anvil's mnemonic index of each account `dev up` sets up, and the role it is granted.
ACCOUNTS = {"governance": 0, "matcher": 1, "settler": 2, "prober": 3, "provider": 4, "tenant": 5}
GRANTS = {"matcher": "MATCHER_ROLE"}
FAUCET_TOKENS = {"provider": 10_000 * USD, "tenant": 1_000 * USD, "prober": 100 * USD}
ROLE_NAMES = ("MATCHER_ROLE", "VERIFIER_ROLE", "ARBITER_ROLE")
DEV_PASSWORD = "leasehold-dev"  # guards Anvil's published keys: a local chain only


class DevError(KeeperError):
    """A dev command cannot do what it was asked."""


def key_of(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


def add_dev_commands(subparsers) -> None:
    dev = subparsers.add_parser("dev", help="a local Anvil chain with the protocol deployed, for trying things by hand")
    commands = dev.add_subparsers(dest="dev_command", required=True)
    up = commands.add_parser("up", help="start Anvil, deploy, grant roles, fund accounts, write configs")
    down = commands.add_parser("down", help="stop the Anvil `dev up` started, by its PID")
    fund = commands.add_parser("fund", help="faucet: send ether and test stablecoin to ADDRESS")
    fund.add_argument("address")
    fund.add_argument("--tokens", type=int, default=1_000, help="whole test stablecoins (default 1000)")
    fund.add_argument("--ether", type=int, default=100, help="whole ether (default 100)")
    advance = commands.add_parser("advance", help="move the local chain's clock forward by DURATION and mine a block")
    advance.add_argument("duration", type=_duration, help="seconds, or 90m, 4h, 2d")
    advance.set_defaults(handler=dev_advance)
    grant = commands.add_parser("grant-role", help="grant ROLE (matcher, verifier, arbiter) to ADDRESS")
    grant.add_argument("role", choices=["matcher", "verifier", "arbiter"])
    grant.add_argument("address")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"Anvil's port on 127.0.0.1 ({DEFAULT_PORT})")
    for parser in (up, down, fund, advance, grant):
        parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"state directory (default {DEFAULT_DIR})")
        parser.add_argument("--json", action="store_true", help="print one JSON document")
    up.set_defaults(handler=dev_up)
    down.set_defaults(handler=dev_down)
    fund.set_defaults(handler=dev_fund)
    grant.set_defaults(handler=dev_grant_role)


def _duration(text: str) -> int:
    from keepers.cli import _duration as parse

    return parse(text)


def _state_path(directory: Path) -> Path:
    return directory / "dev.json"


def _read_state(directory: Path) -> dict:
    try:
        return json.loads(_state_path(directory).read_text())
    except OSError:
        raise DevError(f"dev error: no local chain recorded in {directory} (run `leasehold dev up` first)") from None


def _cache_path(directory: Path) -> Path:
    """Where the chain `dev up` leaves running writes its old states; `dev down` removes it."""
    path = directory / "anvil-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _alive(pid: int) -> bool:
    """Whether `pid` is still the Anvil we started (not a reused PID)."""
    try:
        return "anvil" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _print(args: argparse.Namespace, data: dict, text: str) -> int:
    print(json.dumps(data) if args.json else text)
    return 0


def dev_up(args: argparse.Namespace) -> int:
    from keepers.devchain import Anvil, DevChainError

    directory: Path = args.dir.resolve()
    if _state_path(directory).exists() and _alive(_read_state(directory)["pid"]):
        state = _read_state(directory)
        raise DevError(
            f"dev error: a local chain already runs on {state['url']} (pid {state['pid']}); `leasehold dev down` first"
        )
    directory.mkdir(parents=True, exist_ok=True)
    anvil = Anvil(
        port=args.port, accounts=len(ACCOUNTS) + 4, log_path=directory / "anvil.log", cache_path=_cache_path(directory)
    )
    try:
        anvil.start()
    except DevChainError as error:
        raise DevError(f"dev error: {error}") from None
    try:
        deployment_path = _deploy(anvil, directory)
        accounts = _write_accounts(anvil.url, directory, deployment_path)
    except BaseException:
        anvil.stop()
        raise
    state = {
        "pid": anvil.pid,
        "url": anvil.url,
        "chain_id": CHAIN_ID,
        "deployment": str(deployment_path),
        "accounts": accounts,
        "started_at": int(time.time()),
    }
    _state_path(directory).write_text(json.dumps(state, indent=2) + "\n")
    anvil.process = None  # left running on purpose: `dev down` stops it by the PID in dev.json
    lines = [f"Anvil on {state['url']} (pid {state['pid']}); deployment {deployment_path}"]
    lines += [f"  {name:<10} {a['address']}  config {a['config']}" for name, a in accounts.items()]
    lines.append(f"stop it with: leasehold dev down --dir {args.dir}")
    return _print(args, state, "\n".join(lines))


def _deploy(anvil, directory: Path) -> Path:
    """Deploys with brownie on `anvil`, grants roles and funds the accounts; returns the deployment file."""
    from keepers.devchain import REPO_ROOT

    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # scripts/ and the brownie project live in the checkout, not the package
    from brownie.network.rpc import Rpc

    from scripts.deploy import bond_matcher, deploy, local_matcher_bond, write_deployment
    from scripts.localchain import brownie_on_anvil

    (directory / "deployments").mkdir(exist_ok=True)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        # brownie calls its own deprecated rpc.* from inside; the warning is for brownie, not for us.
        warnings.filterwarnings("ignore", message=r"rpc\.\w+ should not be called directly", category=FutureWarning)
        # brownie resolves the project's sources (node_modules/...) from the working directory.
        with contextlib.chdir(REPO_ROOT), brownie_on_anvil(anvil):
            from brownie import accounts

            governance = accounts[ACCOUNTS["governance"]]
            deployment = deploy(governance)
            config = deployment.config
            for name, role in GRANTS.items():
                config.setRole(getattr(config, role)(), accounts[ACCOUNTS[name]], True, {"from": governance})
            # Matching needs a bond (docs/matching-accountability.md): the dev matcher holds one.
            bond_matcher(
                deployment.matcher_bonds,
                deployment.payment_token,
                accounts[ACCOUNTS["matcher"]],
                local_matcher_bond(deployment.payment_token),
            )
            for name, tokens in FAUCET_TOKENS.items():
                deployment.payment_token.mint(accounts[ACCOUNTS[name]], tokens, {"from": governance})
            path = write_deployment(deployment, directory / "deployments")
        # brownie kills, at exit, an attached node that is our child: this one must outlive us.
        Rpc().process = None
    return path


def _write_accounts(url: str, directory: Path, deployment_path: Path) -> dict[str, dict]:
    keys = directory / "keys"
    keys.mkdir(exist_ok=True)
    written = {}
    for name, index in ACCOUNTS.items():
        if name == "governance":
            continue
        key = key_of(index)
        account = Account.from_key(key)
        keystore, password = keys / f"{name}.json", keys / f"{name}.password"
        # A cheap KDF: these are Anvil's published keys, encrypted only so configs hold no raw key.
        keystore.write_text(json.dumps(Account.encrypt(key, DEV_PASSWORD, kdf="pbkdf2", iterations=1_000)))
        password.write_text(DEV_PASSWORD + "\n")
        os.chmod(keystore, 0o600)
        os.chmod(password, 0o600)
        config = directory / f"{name}.toml"
        config.write_text(_config_toml(url, deployment_path, keystore, password, directory / "state" / name, name))
        written[name] = {"address": account.address, "config": str(config)}
    return written


def _config_toml(url: str, deployment: Path, keystore: Path, password: Path, state: Path, name: str) -> str:
    role = ""
    if name == "provider":
        role = (
            '\n[role]\nregion = "eu-west"\nstake = 6000000000  # 6,000 tUSD: the collateral of two H100 units\n\n'
            '[[role.offers]]\ngpu_model = "nvidia-h100-80gb"\nunits = 2\n'
            "price_per_unit_hour = 2000000  # 2 tUSD\nmax_duration_seconds = 86400\n"
            "job_steps_per_second = 1000000  # the jobs it takes (docs/verification.md)\n"
            "job_min_result_timeout_seconds = 60\n"
        )
    return (
        f"# Written by `leasehold dev up` for the local chain at {url}.\n"
        f'[chain]\nrpc_url = "{url}"\nchain_id = {CHAIN_ID}\ndeployment = "{deployment}"\n'
        "poll_interval_seconds = 1.0\nconfirmations = 0  # a local chain does not re-org\n\n"
        f'[account]\nkeystore = "{keystore}"\npassword_file = "{password}"\n\n'
        f'[transactions]\nstate_dir = "{state}"\n\n'
        '[metrics]\nhost = "127.0.0.1"\nport = 0  # a free port; the keeper logs it as health_url\n' + role
    )


def dev_down(args: argparse.Namespace) -> int:
    state = _read_state(args.dir)
    pid = state["pid"]
    if not _alive(pid):
        _state_path(args.dir).unlink()
        shutil.rmtree(args.dir / "anvil-cache", ignore_errors=True)
        return _print(args, {"stopped": None}, f"no Anvil runs as pid {pid} any more; forgot it")
    os.killpg(pid, signal.SIGTERM)  # `dev up` started it as the leader of its own session
    for _ in range(100):
        if not _alive(pid):
            break
        time.sleep(0.05)  # waiting for a process to exit, not for chain time
    else:
        os.killpg(pid, signal.SIGKILL)
    _state_path(args.dir).unlink()
    shutil.rmtree(args.dir / "anvil-cache", ignore_errors=True)  # Anvil never removes its old states itself
    return _print(args, {"stopped": pid}, f"stopped Anvil (pid {pid}) on {state['url']}")


def _chain(args: argparse.Namespace) -> tuple[Web3, dict, Deployment]:
    state = _read_state(args.dir)
    if not _alive(state["pid"]):
        raise DevError(f"dev error: the Anvil of {args.dir} (pid {state['pid']}) is not running; `leasehold dev up`")
    w3 = Web3(HTTPProvider(state["url"]))
    return w3, state, load_deployment(Path(state["deployment"]), w3)


def _address(text: str) -> str:
    if not is_address(text):
        raise DevError(f"dev error: {text!r} is not an address")
    return to_checksum_address(text)


def dev_fund(args: argparse.Namespace) -> int:
    address = _address(args.address)
    w3, _, deployment = _chain(args)
    token = Token(w3, deployment.contract(w3, "PaymentToken"))
    w3.provider.make_request("anvil_setBalance", [address, hex(w3.eth.get_balance(address) + args.ether * 10**18)])
    amount = args.tokens * 10 ** token.decimals()
    # The test stablecoin mints to anyone; Anvil's first unlocked account pays the gas.
    w3.eth.wait_for_transaction_receipt(token.mint(address, amount).function.transact({"from": w3.eth.accounts[0]}))
    data = {"address": address, "ether": args.ether, "tokens": args.tokens}
    return _print(args, data, f"sent {args.ether} ETH and {args.tokens:,} tUSD to {address}")


def dev_advance(args: argparse.Namespace) -> int:
    """Chain time, not wall time: leases stream and deadlines pass as if `duration` went by."""
    w3, _, _ = _chain(args)
    w3.provider.make_request("evm_increaseTime", [args.duration])
    w3.provider.make_request("evm_mine", [])
    block = w3.eth.get_block("latest")
    data = {"advanced_seconds": args.duration, "block_number": block["number"], "time": block["timestamp"]}
    return _print(args, data, f"chain time moved {args.duration} s forward; block {block['number']}")


def dev_grant_role(args: argparse.Namespace) -> int:
    address = _address(args.address)
    w3, _, deployment = _chain(args)
    config = ProtocolConfig(w3, deployment.contract(w3, "ProtocolConfig"))
    role = f"{args.role.upper()}_ROLE"
    # The deployer (Anvil's first unlocked account) owns the config on a dev chain.
    tx = config.set_role(Web3.keccak(text=role), address, True).function.transact({"from": w3.eth.accounts[0]})
    w3.eth.wait_for_transaction_receipt(tx)
    return _print(args, {"address": address, "role": role}, f"granted {role} to {address}")


if __name__ == "__main__":
    sys.exit("run it as `leasehold dev ...`")
