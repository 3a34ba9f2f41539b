"""`make fuzz` progress lines: the rate since the walk's set-up, the time left, the walk's digest."""

import scripts.fuzz
from scripts.campaign import CampaignFailure
from scripts.campaign.constants import CHEATING_MUST_LOSE
from scripts.fuzz import EXIT_HARNESS, EXIT_VIOLATION, parse_args, progress_line


def test_progress_line_gives_the_rate_the_time_left_and_the_digest():
    line = progress_line(3_000, 50_000, elapsed=100.0, walking=75.0, digest="9c1f0e2d4b5a6978")
    assert line == ("step 3,000/50,000 (6 %), 100 s, 40.0 steps/s, ~19 min 35 s left, digest 9c1f0e2d4b5a6978")


def test_progress_line_counts_hours_left_on_a_slow_walk():
    assert "~2 h 43 min left" in progress_line(1_000, 50_000, elapsed=230.0, walking=200.0, digest="0" * 16)


def test_progress_line_before_any_time_passed_gives_no_estimate():
    assert "time left unknown" in progress_line(0, 10, elapsed=0.0, walking=0.0, digest="0" * 16)


def test_a_harness_error_exits_other_than_a_violation():
    assert EXIT_HARNESS != EXIT_VIOLATION and 0 not in (EXIT_HARNESS, EXIT_VIOLATION)


def test_cheating_loses_is_an_invariant_unless_switched_off():
    assert parse_args([]).cheating_must_lose is CHEATING_MUST_LOSE is True
    assert parse_args(["--cheating-must-lose"]).cheating_must_lose is True
    assert parse_args(["--no-cheating-must-lose"]).cheating_must_lose is False


def test_a_cheating_failure_reproduces_with_its_switch():
    failure = CampaignFailure(5, 999, "cheating loses", "edge tenant profits", "0" * 16, "--cheating-must-lose")
    command = ".venv/bin/python -m scripts.fuzz --steps 1000 --seed 5 --cheating-must-lose"
    assert str(failure).endswith(f"reproduce: {command}")


def test_a_node_that_stops_answering_is_a_harness_error(monkeypatch):
    # Seeds 5, 6 and 8 of a measurement stopped with a traceback and exit 1 when their Anvils went
    # away (connection refused): exit 1 is a violation's; a dead node is the harness's, exit 3.
    def refused(argv=None):
        raise ConnectionError("[Errno 111] Connection refused")

    monkeypatch.setattr(scripts.fuzz, "main", refused)
    assert scripts.fuzz.run([]) == EXIT_HARNESS
