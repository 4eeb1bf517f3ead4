"""The price of a child's day: family-quotient bands or an effort rate, residence, rank.

``Pricer(grid)`` reads a grid and its bands once; ``price(quotient, lives_outside, rank)`` gives
the unit price and the sentence that explains it (the "pricing basis" printed on the invoice,
e.g. "QF 620 → tranche 2"), and a warning when the family's QF is unknown.

Rules (docs/billing.md, "Pricing"):
- bands: the band whose [QF from, QF up to] holds the family's QF; a family without a QF pays
  the band marked for it, or the highest band;
- effort rate: QF × rate %, kept between the minimum and the maximum; a family without a QF
  pays the maximum (the minimum when there is no maximum);
- outside the municipality: the band's outside price, or the price increased by the grid's
  percentage;
- rank of the child (oldest first, among the family's children billed for the activity in the
  run): the second child gets the second-child reduction, the third and next the third one;
- the unit price is rounded half-up to the cent after all of this; a line's amount is the
  quantity times that rounded price, rounded again (``money``).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from ...models import PriceGrid
from ...models.billing import ZERO, money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Price:
    unit_price: Decimal
    basis: str
    warning: str = ""


def _number(value: Decimal) -> str:
    value = value.normalize() if value == value.to_integral() else value
    return formats.number_format(value, use_l10n=True)


class Pricer:
    """Prices of one grid; its bands are read once."""

    def __init__(self, grid: PriceGrid, bands=None):
        self.grid = grid
        if bands is None:
            bands = list(grid.bands.all())
        self.bands = sorted(bands, key=lambda band: band.quotient_min)
        # A run prices thousands of children on a few hundred distinct quotients.
        self._prices: dict = {}

    def _band(self, quotient):
        if quotient is not None:
            for band in self.bands:
                if band.contains(quotient):
                    return band, ""
        chosen = next((band for band in self.bands if band.for_missing_quotient), None)
        chosen = chosen or (self.bands[-1] if self.bands else None)
        if quotient is None:
            return chosen, _("No family quotient: band “%(band)s” applied.") % {
                "band": chosen.label if chosen else "—"
            }
        return chosen, _("The QF %(qf)s is in no band: band “%(band)s” applied.") % {
            "qf": _number(quotient),
            "band": chosen.label if chosen else "—",
        }

    def base_price(self, quotient, lives_outside: bool) -> Price:
        grid = self.grid
        increase = grid.outside_price_increase or ZERO
        if grid.method == PriceGrid.Method.EFFORT_RATE:
            return self._effort_rate(quotient, lives_outside, increase)
        band, warning = self._band(quotient)
        if band is None:
            return Price(ZERO, _("no price band"), _("The grid has no band."))
        qf = _("QF %(qf)s") % {"qf": _number(quotient)} if quotient is not None else _("no QF")
        basis = f"{qf} → {band.label}"
        price = band.price
        if lives_outside:
            if band.outside_price is not None:
                price = band.outside_price
            else:
                price = price * (HUNDRED + increase) / HUNDRED
            basis += " · " + _("outside the municipality")
        return Price(price, basis, warning)

    def _effort_rate(self, quotient, lives_outside, increase) -> Price:
        grid = self.grid
        rate = grid.effort_rate or ZERO
        low, high = grid.minimum_price, grid.maximum_price
        warning = ""
        if quotient is None:
            price = high if high is not None else (low or ZERO)
            basis = _("no QF → %(price)s €") % {"price": _number(money(price))}
            warning = _("No family quotient: the %(which)s price applied.") % {
                "which": _("maximum") if high is not None else _("minimum")
            }
        else:
            price = quotient * rate / HUNDRED
            basis = _("QF %(qf)s × %(rate)s %%") % {"qf": _number(quotient), "rate": _number(rate)}
            if low is not None and price < low:
                price = low
                basis += " → " + _("minimum")
            elif high is not None and price > high:
                price = high
                basis += " → " + _("maximum")
        if lives_outside:
            price = price * (HUNDRED + increase) / HUNDRED
            basis += " · " + _("outside the municipality")
        return Price(price, basis, warning)

    def price(self, quotient, lives_outside: bool, rank: int = 1) -> Price:
        """The rounded unit price for a child of rank ``rank`` (1 = the oldest)."""
        key = (quotient, bool(lives_outside), rank)
        known = self._prices.get(key)
        if known is None:
            known = self._prices[key] = self._price(quotient, lives_outside, rank)
        return known

    def _price(self, quotient, lives_outside: bool, rank: int) -> Price:
        base = self.base_price(quotient, lives_outside)
        price, basis = base.unit_price, base.basis
        reduction = ZERO
        if rank == 2:
            reduction = self.grid.second_child_reduction or ZERO
        elif rank >= 3:
            reduction = self.grid.third_child_reduction or ZERO
        if reduction:
            price = price * (HUNDRED - reduction) / HUNDRED
            basis += " · " + _("child no. %(rank)d −%(percent)s %%") % {
                "rank": rank,
                "percent": _number(reduction),
            }
        return Price(money(price), basis, base.warning)
