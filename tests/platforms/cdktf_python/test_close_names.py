"""close_names filters the candidates with difflib's own bounds before difflib runs: the matches
must be difflib's, for lists long enough to take the filtered path."""

from __future__ import annotations

import difflib
import random
import string

from iacgrade.harness.platforms.cdktf_python.provider_api import CLOSE_CUTOFF, _may_be_close


def _names(rng: random.Random, count: int) -> list[str]:
    stems = ["S3Bucket", "LambdaFunction", "IamRole", "DynamodbTable", "SecurityGroup", "VpcEndpoint"]
    out = []
    for _ in range(count):
        stem = rng.choice(stems)
        tail = "".join(rng.choices(string.ascii_letters, k=rng.randint(0, 12)))
        out.append(stem + tail)
    return out


def _misspelt(rng: random.Random, word: str) -> str:
    chars = list(word)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice(string.ascii_letters)
    return "".join(chars)


def test_close_names_match_difflib_on_long_candidate_lists() -> None:
    rng = random.Random(7)
    names = _names(rng, 3000)
    for _ in range(200):
        word = _misspelt(rng, rng.choice(names))
        want = difflib.get_close_matches(word, names, n=3, cutoff=CLOSE_CUTOFF)
        assert (
            difflib.get_close_matches(
                word, _may_be_close(word, names, CLOSE_CUTOFF), n=3, cutoff=CLOSE_CUTOFF
            )
            == want
        )


def test_the_filter_keeps_every_candidate_difflib_would_score() -> None:
    rng = random.Random(11)
    names = _names(rng, 1000)
    for _ in range(100):
        word = _misspelt(rng, rng.choice(names))
        kept = set(_may_be_close(word, names, CLOSE_CUTOFF))
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        for name in names:
            matcher.set_seq1(name)
            if matcher.ratio() >= CLOSE_CUTOFF:
                assert name in kept, (word, name)
