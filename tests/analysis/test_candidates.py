"""Candidate pairs updated from the last build's (candidates.py) are the pairs found from
nothing, whatever the edits; where they could not be, the update declines."""

from __future__ import annotations

import random

import numpy as np
import pytest

from generator.analysis import candidates, versions
from generator.analysis.candidates import Candidates
from generator.config import VersionSettings

# Few distinct hashes and a low ceiling: samples often cross the "useful" lines.
SETTINGS = VersionSettings(max_shared_sample=6, candidate_threshold=0.3)


def _sample(rng: random.Random) -> np.ndarray:
    return np.unique(np.array(rng.sample(range(1, 120), rng.randint(3, 12)), dtype=np.uint64))


def _from_nothing(ids: list[str], samples: dict[str, np.ndarray]) -> Candidates:
    content = [repr(samples[i].tolist()) for i in ids]
    rows = [samples[i] for i in ids]
    pairs, (_, column, sampled) = versions._pairs_from_nothing(rows, SETTINGS)
    return Candidates.of(ids, content, pairs, sampled, column)


@pytest.mark.parametrize("seed", range(6))
def test_updated_candidates_are_the_ones_found_from_nothing(seed: int) -> None:
    rng = random.Random(seed)
    samples = {f"a{n:03d}": _sample(rng) for n in range(60)}
    last = _from_nothing(sorted(samples), samples)
    by_content = {key: samples[i] for i, key in zip(last.ids, last.content, strict=True)}
    updated = declined = 0
    for _ in range(40):
        for _ in range(rng.randint(1, 3)):  # an edit, a new article or one removed
            choice = rng.random()
            if choice < 0.6:
                samples[rng.choice(sorted(samples))] = _sample(rng)
            elif choice < 0.8:
                samples[f"b{rng.randrange(10**6):06d}"] = _sample(rng)
            elif len(samples) > 10:
                del samples[rng.choice(sorted(samples))]
        ids = sorted(samples)
        truth = _from_nothing(ids, samples)
        made = candidates.update(
            last, ids, truth.content, [samples[i] for i in ids], by_content, SETTINGS
        )
        if made is None:
            declined += 1
            made = truth
        else:
            updated += 1
            assert made.pairs.tolist() == truth.pairs.tolist()
            assert made.hashes.tolist() == truth.hashes.tolist()
            assert made.holders.tolist() == truth.holders.tolist()
        last = made
        by_content = {key: samples[i] for i, key in zip(ids, truth.content, strict=True)}
    assert updated > 5 and declined > 0  # both ways are taken


def test_an_unchanged_archive_keeps_its_candidates() -> None:
    rng = random.Random(1)
    samples = {f"a{n}": _sample(rng) for n in range(20)}
    last = _from_nothing(sorted(samples), samples)
    by_content = {key: samples[i] for i, key in zip(last.ids, last.content, strict=True)}
    rows = [samples[i] for i in last.ids]
    assert candidates.update(last, last.ids, last.content, rows, by_content, SETTINGS) is last
