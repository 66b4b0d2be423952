"""A round of the loop never asks twice for one point (no TensorFlow): local points clipped onto the
same corner of the domain, the committee and the non-convex reason picking the same candidate, and
targets of earlier rounds are each asked once; the round keeps its size (filled up with the next Sobol
points), every kept target keeps its reason, and the choice is the same when made again (a resume)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from pf_app.learn.sampling import (DUPLICATE_DISTANCE, State, _choose_by_reason, b2_domain, choose, new_rows,
                                   sobol_block)

MARGIN = 0.02


def _points(**kw):
    base = dict(seed=0, initial=8, sobol=4, error=0, committee=0, wells=0, local_radius=0.03, candidates=16,
                margin=MARGIN)
    return SimpleNamespace(**{**base, **kw})


class _Committee:
    """Members that disagree equally everywhere (the committee reason takes candidates in order)."""

    def predict(self, x):
        return SimpleNamespace(mu_std=np.ones((len(x), 2)))


class _Concave:
    """g = -|x|^2: no interior well on any ray, a negative Hessian everywhere (every candidate is non-convex)."""

    def evaluate(self, x, order=0):
        x = np.asarray(x, float)
        g = -(x ** 2).sum(axis=1)
        if order == 0:
            return g
        return g, -2 * x, np.broadcast_to(-2 * np.eye(x.shape[1]), (len(x), x.shape[1], x.shape[1]))


def _state(**kw):
    return State(committee=_Committee(), mean_model=_Concave(), mu_scale=np.ones(2), sobol_used=8, **kw)


def _min_distance(domain, a, b=None):
    """Smallest distance in the fractions between two rows of ``a`` (or between ``a`` and ``b``)."""
    fa = domain.fractions(a)
    fb = fa if b is None else domain.fractions(b)
    d = np.sqrt(((fa[:, None, :] - fb[None, :, :]) ** 2).sum(axis=2))
    if b is None:
        d[np.diag_indices(len(fa))] = np.inf
    return d.min()


def _check_round(domain, raw, choice, pcfg, state):
    """The round has the raw round's size, distinct targets, each with its reason, and fill-ups that
    are the next Sobol points."""
    assert len(choice.points) == len(choice.reasons) == len(raw.points)
    assert _min_distance(domain, choice.points) > DUPLICATE_DISTANCE
    if state.asked is not None:
        assert _min_distance(domain, choice.points, state.asked) > DUPLICATE_DISTANCE
    raw_rows = {(tuple(p), why) for p, why in zip(raw.points, raw.reasons)}
    extra = [p for p, why in zip(choice.points, choice.reasons) if (tuple(p), why) not in raw_rows]
    n_sobol = sum(why == "sobol" for why in raw.reasons)
    want = domain.from_unit(sobol_block(pcfg.seed, state.sobol_used + n_sobol, len(extra), 2))
    assert np.array_equal(np.reshape(extra, (-1, 2)), want)
    assert all(why == "sobol" for p, why in zip(choice.points, choice.reasons) if (tuple(p), why) not in raw_rows)
    again = choose(1, pcfg, state, domain)
    assert np.array_equal(again.points, choice.points) and again.reasons == choice.reasons


def test_local_points_clipped_onto_a_corner_are_asked_once():
    """Local points (sd 0.03) around the corner x = (1 - margin, margin): about a quarter of them land
    outside in both fractions and are clipped onto the corner itself."""
    domain = b2_domain(MARGIN)
    corner = domain.eta(np.array([[1 - MARGIN, MARGIN]]))
    pcfg = _points(error=16)
    state = _state(new_points=corner, new_errors=np.ones(1))
    raw = _choose_by_reason(1, pcfg, state, domain)
    on_corner = np.all(np.isclose(domain.fractions(raw.points), [1 - MARGIN, MARGIN], rtol=0, atol=1e-15), axis=1)
    assert on_corner.sum() >= 2  # the case: coincident targets before the fix
    choice = choose(1, pcfg, state, domain)
    assert choice.reasons.count("error") == 16 - on_corner.sum() + 1  # the first point on the corner stays
    _check_round(domain, raw, choice, pcfg, state)


def test_a_candidate_picked_by_the_committee_is_not_picked_again_as_non_convex():
    """Every candidate is non-convex and the committee takes 15 of the 16: the non-convex reason gets
    the one left (it drew from all 16 before, and so repeated the committee's)."""
    domain = b2_domain(MARGIN)
    pcfg = _points(committee=15, wells=2, local_radius=1e-3)  # wells: no well of the concave g, 2 non-convex
    state = _state()
    choice = choose(1, pcfg, state, domain)
    assert choice.reasons.count("committee") == 15 and choice.reasons.count("nonconvex") == 1
    assert choice.reasons.count("sobol") == 4
    _check_round(domain, _choose_by_reason(1, pcfg, state, domain), choice, pcfg, state)


def test_targets_of_earlier_rounds_are_not_asked_again():
    """Earlier rounds asked for this round's first Sobol point, the corner the local points are
    clipped onto and the committee's first candidates: none of them is asked again."""
    domain = b2_domain(MARGIN)
    corner = domain.eta(np.array([[1 - MARGIN, MARGIN]]))
    pcfg = _points(error=8, committee=4)
    fresh = _state(new_points=corner, new_errors=np.ones(1))
    raw = _choose_by_reason(1, pcfg, fresh, domain)
    committee = raw.points[np.array(raw.reasons) == "committee"]
    asked = np.vstack([raw.points[:1], corner, committee[:2]])
    state = _state(new_points=corner, new_errors=np.ones(1), asked=asked)
    choice = choose(1, pcfg, state, domain)
    assert choice.reasons.count("committee") == 4  # two other candidates instead of the asked ones
    _check_round(domain, _choose_by_reason(1, pcfg, state, domain), choice, pcfg, state)


def test_new_rows_keeps_the_first_of_coincident_rows():
    f = np.array([[0.5, 0.2], [0.3, 0.1], [0.5, 0.2 + 1e-12], [0.7, 0.6], [0.3, 0.1]])
    assert new_rows(f, np.zeros((0, 2)), 1e-9).tolist() == [True, True, False, True, False]
    assert new_rows(f, f[3:4], 1e-9).tolist() == [True, True, False, False, False]
