import pytest

from keepers.config import load_config
from keepers.errors import ConfigError

VALID = """
[chain]
rpc_url = "http://127.0.0.1:8545"
chain_id = 31337

[account]
private_key_env = "KEEPER_KEY"
"""


def write(tmp_path, text):
    path = tmp_path / "keeper.toml"
    path.write_text(text)
    return path


def config_error(path, environ=None) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ or {})
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_valid_file_gives_defaults_for_optional_sections(tmp_path):
    config = load_config(write(tmp_path, VALID), {})
    assert config.chain.rpc_url == "http://127.0.0.1:8545"
    assert config.chain.confirmations == 0  # a local chain (31337): no re-orgs, automining
    assert config.transactions.fee_bump_percent == 12.5
    assert config.role == {}


def test_missing_key_names_it(tmp_path):
    path = write(tmp_path, "[chain]\nchain_id = 31337\n")
    assert config_error(path) == f"config error: chain.rpc_url: field required (file {path})"


def test_bad_type_names_key(tmp_path):
    path = write(tmp_path, VALID.replace("chain_id = 31337", 'chain_id = "mainnet"'))
    assert config_error(path).startswith("config error: chain.chain_id: input should be a valid integer")


def test_unknown_key_is_an_error(tmp_path):
    path = write(tmp_path, VALID + "\n[transactions]\nmax_fee = 3\n")
    assert config_error(path) == f"config error: transactions.max_fee: extra inputs are not permitted (file {path})"


def test_unknown_section_is_an_error(tmp_path):
    path = write(tmp_path, VALID + "\n[chian]\nrpc_url = 'x'\n")
    assert config_error(path).startswith("config error: chian: extra inputs are not permitted")


def test_env_overrides_file(tmp_path):
    config = load_config(
        write(tmp_path, VALID), {"LEASEHOLD_CHAIN__RPC_URL": "http://node:9", "LEASEHOLD_CHAIN__CONFIRMATIONS": "5"}
    )
    assert config.chain.rpc_url == "http://node:9"
    assert config.chain.confirmations == 5


def test_env_override_error_names_variable(tmp_path):
    path = write(tmp_path, VALID)
    message = config_error(path, {"LEASEHOLD_METRICS__PORT": "ninety"})
    assert message.startswith("config error: metrics.port: input should be a valid integer")
    assert message.endswith("(env LEASEHOLD_METRICS__PORT)")


def test_unknown_env_key_is_an_error(tmp_path):
    message = config_error(write(tmp_path, VALID), {"LEASEHOLD_CHAIN__RPC": "x"})
    assert message == "config error: chain.rpc: extra inputs are not permitted (env LEASEHOLD_CHAIN__RPC)"


def test_raw_key_refused_on_public_chain(tmp_path):
    path = write(tmp_path, VALID.replace("chain_id = 31337", "chain_id = 1"))
    message = config_error(path)
    assert message.startswith(
        "config error: account.private_key_env: a raw private key is allowed only on a local chain"
    )
    assert "not chain_id 1" in message


def test_raw_key_allowed_on_local_chain_1337(tmp_path):
    config = load_config(write(tmp_path, VALID.replace("31337", "1337")), {})
    assert config.account.private_key_env == "KEEPER_KEY"


def test_keystore_without_password_file_is_an_error(tmp_path):
    path = write(tmp_path, VALID.replace('private_key_env = "KEEPER_KEY"', 'keystore = "k.json"'))
    assert config_error(path).startswith("config error: account: keystore and password_file go together")


def test_fee_bump_below_ten_percent_is_an_error(tmp_path):
    path = write(tmp_path, VALID + "\n[transactions]\nfee_bump_percent = 5\n")
    assert config_error(path).startswith(
        "config error: transactions.fee_bump_percent: input should be greater than or equal to 10"
    )


def test_missing_file_is_one_line(tmp_path):
    assert (
        config_error(tmp_path / "absent.toml")
        == f"config error: cannot read {tmp_path / 'absent.toml'}: No such file or directory"
    )


def test_invalid_toml_is_one_line(tmp_path):
    assert config_error(write(tmp_path, "[chain\n")).startswith("config error: ")


def test_confirmations_default_to_0_on_a_local_chain_and_2_elsewhere(tmp_path):
    """Issue 15 finding 7: with 2 on an automining Anvil a matcher never saw the newest request."""
    assert load_config(write(tmp_path, VALID), {}).chain.confirmations == 0
    public = write(tmp_path, '[chain]\nrpc_url = "https://rpc.example"\nchain_id = 8453\n')
    assert load_config(public, {}).chain.confirmations == 2
    assert load_config(write(tmp_path, VALID), {"LEASEHOLD_CHAIN__CONFIRMATIONS": "3"}).chain.confirmations == 3
