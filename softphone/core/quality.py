"""How a call sounds, as one number: the E-model's MOS estimate (ITU-T G.107, simplified).

The E-model rates a call from what degrades it: ``R = 93.2 - Id - Ie_eff`` (the default basic
signal-to-noise and simultaneous impairments folded into 93.2), where

- ``Id``, the delay impairment, grows with the one-way mouth-to-ear delay ``d`` (ms):
  ``0.024 d + 0.11 (d - 177.3)`` once ``d`` passes 177.3 ms (Cole and Rosenbluth's fit of G.107);
- ``Ie_eff``, the equipment impairment under packet loss (G.107 §7.4, random loss):
  ``Ie + (95 - Ie) Ppl / (Ppl + Bpl)``, with the codec's ``Ie`` and loss robustness ``Bpl``
  (ITU-T G.113 Appendix I; pjmedia conceals lost packets, so the values with concealment).

``R`` maps to a MOS between 1 and 4.5: ``1 + 0.035 R + R (R - 60) (100 - R) 7e-6``. A clean
G.711 call rates R 93.2, MOS 4.41: the narrowband E-model's ceiling, so wideband G.722 is
rated on the same scale (as G.711, a conservative figure for it).
"""

from __future__ import annotations

from softphone.core.values import value_class


@value_class
class CodecImpairment:
    ie: float  # equipment impairment with no loss
    bpl: float  # robustness to random packet loss (higher: more robust)


# G.113 Appendix I: G.711 with packet loss concealment (pjmedia's). Other codecs the wheel may
# negotiate are rated as G.711 too, the best case: no published figure is relied on for them.
G711 = CodecImpairment(0.0, 25.1)
CODECS: dict[str, CodecImpairment] = {"PCMU": G711, "PCMA": G711, "G722": G711}
R_CLEAN = 93.2


def r_factor(*, codec: str, loss_pct: float, one_way_ms: float) -> float:
    """The E-model's transmission rating R for a call with ``codec`` (pjsua's name, e.g.
    "PCMU"), ``loss_pct`` of its packets lost at random and ``one_way_ms`` of mouth-to-ear
    delay."""
    impairment = CODECS.get(codec.upper(), G711)
    loss = min(max(loss_pct, 0.0), 100.0)
    delay = max(one_way_ms, 0.0)
    i_d = 0.024 * delay + (0.11 * (delay - 177.3) if delay > 177.3 else 0.0)
    i_e = impairment.ie + (95.0 - impairment.ie) * loss / (loss + impairment.bpl)
    return R_CLEAN - i_d - i_e


def mos_from_r(r: float) -> float:
    """The MOS (1 to 4.5) that G.107's Annex B gives an R."""
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6


def mos(*, codec: str, loss_pct: float, one_way_ms: float) -> float:
    """The MOS estimate of a call, rounded to two decimals (see :func:`r_factor`)."""
    return round(mos_from_r(r_factor(codec=codec, loss_pct=loss_pct, one_way_ms=one_way_ms)), 2)


def verdict(score: float) -> str:
    """How a person would put it: "good" (4.0 and up, toll quality), "fair" (3.6 to 4.0: most
    users satisfied), "poor" below."""
    if score >= 4.0:
        return "good"
    return "fair" if score >= 3.6 else "poor"
