"""publishJobTerms: every bound, the input checks, once per hash, one stored slot, the event."""

import pytest

from keepers.workloads.base import keccak256

from helpers import event_args, reverts_with
from jobs.support import HASHCHAIN, HOUR, MATVEC, MATVEC256, MINUTE, b32, h, make_terms


def test_revert_when_workload_not_registered(driver):
    terms, input = make_terms()
    terms = (b32("unknown"), *terms[1:])
    with reverts_with("JobMarket_WorkloadNotRegistered"):
        driver.publish(terms, input)


def test_revert_when_input_does_not_hash_to_input_hash(driver):
    terms, input = make_terms()
    with reverts_with("JobMarket_InputHashMismatch"):
        driver.publish(terms, input + b"\x00")


def test_revert_when_the_verifier_rejects_the_input(driver):
    bad = b"\x01" * 33  # hashchain states are 32 bytes
    terms, _ = make_terms(input=bad)
    with reverts_with("JobMarket_InvalidInput"):
        driver.publish(terms, bad)


def test_given_arbiter_mode_without_verifier_any_input_is_accepted(ctx, driver):
    odd = b"\x07" * 5
    terms, _ = make_terms(workload=MATVEC256, input=odd)
    driver.publish(terms, odd)
    assert ctx.job_market.isPublished(ctx.job_market.hashTerms(terms))


@pytest.mark.parametrize("steps", [0, 2**24 + 1])
def test_revert_when_steps_out_of_bounds(driver, steps):
    terms, input = make_terms(steps=steps)
    with reverts_with("JobMarket_StepsOutOfBounds"):
        driver.publish(terms, input)


def test_when_steps_at_the_bound_2_pow_max_bisection_rounds(ctx, driver):
    terms, input = make_terms(steps=2**24)
    driver.publish(terms, input)
    assert ctx.job_market.isPublished(ctx.job_market.hashTerms(terms))


@pytest.mark.parametrize("timeout", [MINUTE - 1, 30 * 86_400 + 1])
def test_revert_when_result_timeout_out_of_bounds(driver, timeout):
    terms, input = make_terms(result_timeout=timeout)
    with reverts_with("JobMarket_ResultTimeoutOutOfBounds"):
        driver.publish(terms, input)


@pytest.mark.parametrize("window", [10 * MINUTE - 1, 86_400 + 1])
def test_revert_when_challenge_window_out_of_bounds(driver, window):
    terms, input = make_terms(window=window)
    with reverts_with("JobMarket_ChallengeWindowOutOfBounds"):
        driver.publish(terms, input)


@pytest.mark.parametrize("window", [10 * MINUTE, 86_400])
def test_when_challenge_window_at_its_bounds(ctx, driver, window):
    terms, input = make_terms(window=window)
    driver.publish(terms, input)
    assert ctx.job_market.termsRecord(ctx.job_market.hashTerms(terms))[3] == window


def test_revert_when_already_published(driver):
    terms, input = make_terms()
    driver.publish(terms, input)
    with reverts_with("JobMarket_TermsAlreadyPublished"):
        driver.publish(terms, input)


def test_when_published_the_event_carries_terms_and_input_and_one_record_is_kept(ctx, driver):
    terms, input = make_terms(workload=MATVEC, steps=13, result_timeout=2 * HOUR, window=3 * HOUR)
    terms_hash = ctx.job_market.hashTerms(terms)
    assert not ctx.job_market.isPublished(terms_hash)
    tx = driver.publish(terms, input)
    args = event_args(tx, "JobTermsPublished")
    assert args["termsHash"] == terms_hash
    assert tuple(args["terms"]) == terms
    assert bytes(args["input"]) == input
    assert tx.return_value == terms_hash
    assert ctx.job_market.isPublished(terms_hash)
    record = ctx.job_market.termsRecord(terms_hash)
    assert (record[0], record[1], record[2], record[3]) == (ctx.matvec_verifier, False, 2 * HOUR, 3 * HOUR)


def test_terms_hash_is_keccak_of_abi_encoded_terms(ctx):
    from eth_abi import encode

    terms, _input = make_terms()
    expected = keccak256(
        encode(
            ["(bytes32,bytes32,bytes32,uint32,uint40,uint40)"],
            [(bytes.fromhex(terms[0][2:]), bytes.fromhex(terms[1][2:]), bytes.fromhex(terms[2][2:]), *terms[3:])],
        )
    )
    assert ctx.job_market.hashTerms(terms) == h(expected)
    assert terms[0] == HASHCHAIN
