import pytest

from keepers.cli import main


def write_config(tmp_path, text):
    path = tmp_path / "keeper.toml"
    path.write_text(text)
    return path


def run(argv, capsys):
    code = main(argv)
    return code, capsys.readouterr().err


def test_bad_config_exits_2_with_one_line(tmp_path, capsys):
    path = write_config(tmp_path, "[chain]\nchain_id = 31337\n")
    code, err = run(["keeper", "run", "heartbeat", "--config", str(path)], capsys)
    assert code == 2
    assert err == f"config error: chain.rpc_url: field required (file {path})\n"


def test_unknown_role_key_exits_2_with_one_line(anvil, tmp_path, capsys):
    path = write_config(tmp_path, f'[chain]\nrpc_url = "{anvil.url}"\nchain_id = 31337\n[role]\nspeed = 3\n')
    code, err = run(["keeper", "run", "heartbeat", "--config", str(path)], capsys)
    assert code == 2
    assert err == "config error: role.speed: extra inputs are not permitted\n"


def test_wrong_chain_id_exits_2_with_one_line(anvil, tmp_path, capsys):
    path = write_config(tmp_path, f'[chain]\nrpc_url = "{anvil.url}"\nchain_id = 1337\n[metrics]\nport = 0\n')
    code, err = run(["keeper", "run", "heartbeat", "--config", str(path)], capsys)
    assert code == 2
    assert err == f"chain error: config says chain_id 1337 but {anvil.url} reports 31337\n"


def test_unknown_role_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["keeper", "run", "nobody", "--config", str(tmp_path / "k.toml")])
    assert exited.value.code == 2
