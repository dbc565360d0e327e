"""The E-model's MOS estimate (ITU-T G.107, simplified): G.107's own R-to-MOS points, the delay
and loss impairments at figures from the standards, and the direction each moves the score."""

from __future__ import annotations

import pytest

from softphone.core.quality import mos, mos_from_r, r_factor, verdict


@pytest.mark.parametrize(
    ("r", "expected"),
    [(93.2, 4.41), (80, 4.02), (70, 3.60), (60, 3.10), (50, 2.58), (0, 1.0), (-5, 1.0), (100, 4.5)],
)
def test_r_maps_to_mos_as_g107_annex_b_does(r: float, expected: float) -> None:
    assert mos_from_r(r) == pytest.approx(expected, abs=0.01)


def test_a_clean_g711_call_rates_the_narrowband_ceiling() -> None:
    assert r_factor(codec="PCMU", loss_pct=0, one_way_ms=0) == pytest.approx(93.2)
    assert mos(codec="PCMA", loss_pct=0, one_way_ms=0) == 4.41


def test_delay_costs_little_until_177_ms_then_much_more() -> None:
    # Id = 0.024 d below 177.3 ms; + 0.11 (d - 177.3) above it
    assert r_at(one_way_ms=100) == pytest.approx(93.2 - 2.4)
    assert r_at(one_way_ms=300) == pytest.approx(93.2 - 7.2 - 0.11 * (300 - 177.3))
    assert mos(codec="PCMU", loss_pct=0, one_way_ms=400) < 4.0


def test_loss_impairs_by_g107_formula_with_g711_concealment() -> None:
    # Ie_eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl), G.711 with PLC: Ie 0, Bpl 25.1 (G.113)
    assert r_at(loss_pct=2) == pytest.approx(93.2 - 95 * 2 / 27.1)
    assert verdict(mos(codec="PCMU", loss_pct=1, one_way_ms=40)) == "good"
    assert verdict(mos(codec="PCMU", loss_pct=5, one_way_ms=40)) == "fair"
    assert verdict(mos(codec="PCMU", loss_pct=15, one_way_ms=40)) == "poor"


def test_the_score_only_falls_as_loss_or_delay_grows() -> None:
    scores = [mos(codec="PCMU", loss_pct=p, one_way_ms=50) for p in (0, 1, 2, 5, 10, 20, 50)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    by_delay = [mos(codec="PCMU", loss_pct=0, one_way_ms=d) for d in (0, 100, 200, 300, 500)]
    assert by_delay == sorted(by_delay, reverse=True)


def test_nonsense_figures_are_bounded_not_trusted() -> None:
    assert mos(codec="PCMU", loss_pct=-3, one_way_ms=-10) == 4.41
    assert mos(codec="PCMU", loss_pct=250, one_way_ms=10**9) == 1.0
    assert mos(codec="no-such-codec", loss_pct=0, one_way_ms=0) == 4.41  # rated as G.711


def r_at(*, loss_pct: float = 0, one_way_ms: float = 0) -> float:
    return r_factor(codec="PCMU", loss_pct=loss_pct, one_way_ms=one_way_ms)
