import json

import pytest
from eth_account import Account

from keepers.accounts import load_account
from keepers.config import AccountConfig
from keepers.deployment import abi_from_build, load_deployment
from keepers.errors import AccountError, DeploymentError


def write_deployment(tmp_path, token, chain_id):
    path = tmp_path / f"{chain_id}.json"
    path.write_text(
        json.dumps(
            {
                "chainId": chain_id,
                "blockNumber": 3,
                "contracts": {"TestStablecoin": {"address": token.address, "abi": token.abi}},
            }
        )
    )
    return path


def test_deployment_gives_contracts_by_name(w3, token, tmp_path):
    deployment = load_deployment(write_deployment(tmp_path, token, 31337), w3)
    assert deployment.block_number == 3
    assert deployment.contract(w3, "TestStablecoin").functions.symbol().call() == "tUSD"


def test_deployment_of_another_chain_is_refused_in_one_line(w3, token, tmp_path):
    path = write_deployment(tmp_path, token, 1)
    with pytest.raises(DeploymentError) as raised:
        load_deployment(path, w3)
    assert str(raised.value) == f"deployment error: {path} is for chain 1 but the node reports chain 31337"


def test_unknown_contract_name_is_one_line(w3, token, tmp_path):
    deployment = load_deployment(write_deployment(tmp_path, token, 31337), w3)
    with pytest.raises(DeploymentError, match=r"no contract Market in .* \(has: TestStablecoin\)$"):
        deployment.contract(w3, "Market")


def test_abi_from_build_artefact():
    names = {element.get("name") for element in abi_from_build("TestStablecoin")}
    assert {"mint", "Transfer", "ERC20InsufficientBalance"} <= names
    with pytest.raises(DeploymentError, match="cannot read"):
        abi_from_build("NoSuchContract")


def test_keystore_with_password_file_gives_the_account(tmp_path):
    account = Account.create()
    (tmp_path / "key.json").write_text(json.dumps(Account.encrypt(account.key, "correct horse")))
    (tmp_path / "password").write_text("correct horse\n")
    config = AccountConfig(keystore=tmp_path / "key.json", password_file=tmp_path / "password")
    assert load_account(config, {}).address == account.address


def test_wrong_keystore_password_is_one_line(tmp_path):
    (tmp_path / "key.json").write_text(json.dumps(Account.encrypt(Account.create().key, "right")))
    (tmp_path / "password").write_text("wrong")
    config = AccountConfig(keystore=tmp_path / "key.json", password_file=tmp_path / "password")
    with pytest.raises(AccountError, match=r"^account error: cannot decrypt .*key.json: wrong password in .*password$"):
        load_account(config, {})


def test_raw_key_from_environment(tmp_path):
    account = Account.create()
    config = AccountConfig(private_key_env="KEEPER_KEY")
    assert load_account(config, {"KEEPER_KEY": account.key.hex()}).address == account.address
    with pytest.raises(AccountError, match=r"^account error: environment variable KEEPER_KEY is not set$"):
        load_account(config, {})


def test_the_deployed_market_abi_decodes_the_errors_of_its_linked_library(protocol):
    """LeaseLiveness raises the liveness errors from the market's address; solc leaves them out of
    the market's ABI, so the deployment file adds them and a keeper decodes them by it alone."""
    _, path = protocol
    abi = json.loads(path.read_text())["contracts"]["LeaseMarket"]["abi"]
    errors = [item["name"] for item in abi if item["type"] == "error"]
    for name in ("LeaseMarket_ChallengeTooSoon", "LeaseMarket_ChallengeWindowOpen", "LeaseMarket_NoOpenChallenge"):
        assert errors.count(name) == 1
    assert "LivenessCalledOff" in {item.get("name") for item in abi if item["type"] == "event"}
