"""`t2drl_cli.usage`: a malformed command line is one sentence naming the option, exit 2."""

import pytest


@pytest.mark.parametrize(
    "argv, sentence",
    [
        (["evaluate", "--seeds", "1,x"], "error: --seeds: expected INT[,INT...], got '1,x'."),
        (["train", "--episodes", "1.5"], "error: --episodes: expected INT, got '1.5'."),
        (["oracle", "tables"], "error: WHAT must be one of table, slots, value, got 'tables'."),
        (["train", "--episodes"], "error: --episodes needs a value."),
        (["evaluate", "--nope"], "error: unknown option --nope for 't2drl' (see t2drl --help)."),
    ],
)
def test_one_sentence_per_malformed_option(t2drl, argv, sentence):
    code, out, err = t2drl(*argv)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [sentence]
