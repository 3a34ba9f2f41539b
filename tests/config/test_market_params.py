"""ProtocolConfig.marketParams, feeBps, verificationTerms and jobMatchTerms: the narrow reads of
requests, matches and jobs, always equal to what `paused()` and `params()` say."""

from config.support import DEFAULTS, params_with
from helpers import USD

FIELDS = ("paused", "protocolFeeBps", "verifierFeeBps", "minLeaseSeconds", "matchFee", "settleBounty")


def market_params(config) -> dict:
    return dict(zip(FIELDS, config.marketParams()))


def test_when_deployed_then_market_params_are_the_defaults_unpaused(config):
    expected = {name: DEFAULTS[name] for name in FIELDS[1:]}
    assert market_params(config) == {"paused": False, **expected}


def test_when_params_set_then_market_params_follow(config, governance):
    config.setParams(
        params_with(protocolFeeBps=250, verifierFeeBps=700, minLeaseSeconds=7200, matchFee=USD, settleBounty=USD // 2),
        {"from": governance},
    )
    assert market_params(config) == {
        "paused": False,
        "protocolFeeBps": 250,
        "verifierFeeBps": 700,
        "minLeaseSeconds": 7200,
        "matchFee": USD,
        "settleBounty": USD // 2,
    }


def test_when_paused_then_market_params_say_paused_and_unpause_clears_it(config, governance):
    config.pause({"from": governance})
    assert market_params(config)["paused"] is True
    config.unpause({"from": governance})
    assert market_params(config)["paused"] is False


def test_when_deployed_then_fee_bps_and_verification_terms_are_the_defaults(config):
    assert tuple(config.feeBps()) == (DEFAULTS["protocolFeeBps"], DEFAULTS["verifierFeeBps"])
    assert tuple(config.verificationTerms()) == (DEFAULTS["verifierBond"], DEFAULTS["verificationSampleBps"])


def test_when_params_set_then_fee_bps_and_verification_terms_follow(config, governance):
    config.setParams(
        params_with(protocolFeeBps=250, verifierFeeBps=700, verifierBond=3 * USD, verificationSampleBps=500),
        {"from": governance},
    )
    assert tuple(config.feeBps()) == (250, 700)
    assert tuple(config.verificationTerms()) == (3 * USD, 500)
    stored = dict(zip(DEFAULTS, config.params()))
    assert tuple(config.verificationTerms()) == (stored["verifierBond"], stored["verificationSampleBps"])


JOB_MATCH_FIELDS = (
    "protocolFeeBps",
    "verifierFeeBps",
    "jobCollateralBps",
    "verificationSampleBps",
    "settleBounty",
    "verifierBond",
)


def test_when_deployed_then_job_match_terms_are_the_defaults(config):
    assert dict(zip(JOB_MATCH_FIELDS, config.jobMatchTerms())) == {name: DEFAULTS[name] for name in JOB_MATCH_FIELDS}


def test_when_params_set_then_job_match_terms_follow(config, governance):
    """What a job's match fixes (property 12) is what `params()` says at that moment."""
    changed = {
        "protocolFeeBps": 250,
        "verifierFeeBps": 700,
        "jobCollateralBps": 20_000,
        "verificationSampleBps": 500,
        "settleBounty": USD // 2,
        "verifierBond": 3 * USD,
    }
    config.setParams(params_with(**changed), {"from": governance})
    assert dict(zip(JOB_MATCH_FIELDS, config.jobMatchTerms())) == changed
    stored = dict(zip(DEFAULTS, config.params()))
    assert changed == {name: stored[name] for name in JOB_MATCH_FIELDS}
