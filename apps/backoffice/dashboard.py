"""A brand's dashboard: today's and the last 30 days' turnover, bets, GGR and open liability by
product, read from the global ``BrandDay`` figures the shards send (``apps.bets.turnover``), and
drawn as server-side SVG bar charts (no script: the content security policy stays strict).

GGR (gross gaming revenue) is stakes less payouts, cash-outs counting as payouts. Figures are by
UTC day: a stake counts on the day the bet was accepted, a payout on the day it was paid, so a
day's GGR can be negative. Open liability is the potential payouts of the bets open now (the
sum of every day's change); a day's bar shows it as it stood at the end of that day. The figures
are a few seconds behind the shards (each pool sends its changes every
``LIABILITY_ANNOUNCE_MS``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.utils import timezone

from apps.backoffice.models import PRODUCTS, BrandDay
from betting.currencies import money

DAYS = 30
PRODUCT_NAMES = dict(PRODUCTS)


@dataclass(frozen=True, slots=True)
class Figures:
    """Sums over some days, minor units of the brand's currency."""

    stakes: int = 0
    bets: int = 0
    payouts: int = 0

    @property
    def ggr(self) -> int:
        return self.stakes - self.payouts

    def plus(self, row: BrandDay) -> Figures:
        return Figures(self.stakes + row.stakes, self.bets + row.bets, self.payouts + row.payouts)


@dataclass(frozen=True, slots=True)
class Shown:
    """Figures as a person reads them: amounts in the currency's major units."""

    turnover: str
    bets: int
    payouts: str
    ggr: str

    @classmethod
    def of(cls, figures: Figures, currency: str) -> Shown:
        return cls(
            money(figures.stakes, currency),
            figures.bets,
            money(figures.payouts, currency),
            money(figures.ggr, currency),
        )


@dataclass(frozen=True, slots=True)
class Day:
    day: dt.date
    figures: Figures
    liability: int  # open at the end of the day
    shown: Shown
    liability_shown: str


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    negative: bool
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar chart's geometry in its ``viewBox`` (``WIDTH`` x ``HEIGHT``): one bar per day,
    the zero line at ``zero``; ``title`` names it for screen readers."""

    key: str  # unique on the page
    title: str
    bars: list[Bar]
    zero: float
    top_label: str
    bottom_label: str

    WIDTH = 600
    HEIGHT = 150


@dataclass(frozen=True, slots=True)
class ProductDashboard:
    product: str
    name: str
    today: Shown
    month: Shown
    liability: str
    days: list[Day]
    charts: list[Chart]


@dataclass(frozen=True, slots=True)
class BrandDashboard:
    brand_id: int
    brand_name: str
    currency: str
    today: dt.date
    first_day: dt.date
    products: list[ProductDashboard]


def _chart(key: str, title: str, values: list[int], titles: list[str], label) -> Chart:
    high, low = max([0, *values]), min([0, *values])
    span = (high - low) or 1
    pad = 4.0
    usable = Chart.HEIGHT - 2 * pad
    zero = pad + usable * high / span
    slot = Chart.WIDTH / max(len(values), 1)
    bars = []
    for n, (value, text) in enumerate(zip(values, titles, strict=True)):
        height = usable * abs(value) / span
        y = zero if value < 0 else zero - height
        bars.append(
            Bar(
                x=round(n * slot + slot * 0.1, 2),
                y=round(y, 2),
                width=round(slot * 0.8, 2),
                height=round(height, 2),
                negative=value < 0,
                title=text,
            )
        )
    return Chart(key, title, bars, round(zero, 2), label(high), label(low))


def brand_dashboard(
    *, brand_id: int, brand_name: str, currency: str, today: dt.date | None = None
) -> BrandDashboard:
    """The brand's figures of today and the ``DAYS`` days ending today (UTC), per product; the
    sportsbook always, other products once they have figures."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    first = today - dt.timedelta(days=DAYS - 1)
    rows = BrandDay.objects.filter(brand_id=brand_id, day__gte=first, day__lte=today)
    by_product: dict[str, dict[dt.date, BrandDay]] = defaultdict(dict)
    for row in rows:
        by_product[row.product][row.day] = row
    before = dict(
        BrandDay.objects.filter(brand_id=brand_id, day__lt=first)
        .values_list("product")
        .annotate(total=Sum("liability_change"))
    )
    products = ["sportsbook", *sorted((set(by_product) | set(before)) - {"sportsbook"})]
    out = []
    for product in products:
        days, month, open_now = [], Figures(), before.get(product) or 0
        for n in range(DAYS):
            day = first + dt.timedelta(days=n)
            row = by_product[product].get(day)
            figures = Figures().plus(row) if row else Figures()
            open_now += row.liability_change if row else 0
            month = month.plus(row) if row else month
            days.append(
                Day(day, figures, open_now, Shown.of(figures, currency), money(open_now, currency))
            )
        out.append(_product(product, currency, days, month, open_now))
    return BrandDashboard(brand_id, brand_name, currency, today, first, out)


def _product(
    product: str, currency: str, days: list[Day], month: Figures, open_now: int
) -> ProductDashboard:
    name = PRODUCT_NAMES.get(product, product)

    def amounts(key: str, title: str, values: list[int]) -> Chart:
        return _chart(
            f"{product}-{key}",
            f"{name}: {title} by day, last {DAYS} days ({currency})",
            values,
            [
                f"{d.day:%d %b}: {money(v, currency)} {currency}"
                for d, v in zip(days, values, strict=True)
            ],
            lambda v: money(v, currency),
        )

    charts = [
        amounts("turnover", "turnover", [d.figures.stakes for d in days]),
        amounts("ggr", "GGR", [d.figures.ggr for d in days]),
        _chart(
            f"{product}-bets",
            f"{name}: bets by day, last {DAYS} days",
            [d.figures.bets for d in days],
            [f"{d.day:%d %b}: {d.figures.bets} bets" for d in days],
            str,
        ),
        amounts("liability", "open liability at the end of each day", [d.liability for d in days]),
    ]
    return ProductDashboard(
        product,
        name,
        Shown.of(days[-1].figures, currency),
        Shown.of(month, currency),
        money(open_now, currency),
        days,
        charts,
    )


@dataclass(frozen=True, slots=True)
class BrandSummary:
    brand_id: int
    brand_name: str
    currency: str
    today: Shown
    month: Shown
    liability: str


def brands_summary(*, brands, today: dt.date | None = None) -> list[BrandSummary]:
    """Each brand's figures of today and of the last ``DAYS`` days, every product together,
    for the platform's backoffice (in each brand's own currency): one query."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    first = today - dt.timedelta(days=DAYS - 1)
    is_today, in_month = Q(day=today), Q(day__gte=first, day__lte=today)
    sums = {
        row["brand_id"]: row
        for row in BrandDay.objects.filter(brand_id__in=[b.id for b in brands], day__lte=today)
        .values("brand_id")
        .annotate(
            t_stakes=Sum("stakes", filter=is_today, default=0),
            t_bets=Sum("bets", filter=is_today, default=0),
            t_payouts=Sum("payouts", filter=is_today, default=0),
            m_stakes=Sum("stakes", filter=in_month, default=0),
            m_bets=Sum("bets", filter=in_month, default=0),
            m_payouts=Sum("payouts", filter=in_month, default=0),
            liability=Sum("liability_change", default=0),
        )
    }
    out = []
    for brand in brands:
        row = sums.get(brand.id, {})
        on_day = Figures(row.get("t_stakes", 0), row.get("t_bets", 0), row.get("t_payouts", 0))
        month = Figures(row.get("m_stakes", 0), row.get("m_bets", 0), row.get("m_payouts", 0))
        out.append(
            BrandSummary(
                brand.id,
                brand.name,
                brand.currency,
                Shown.of(on_day, brand.currency),
                Shown.of(month, brand.currency),
                money(row.get("liability", 0), brand.currency),
            )
        )
    return out
