"""Altair charts of the screens, with one colour per platform everywhere."""

import altair as alt
import pandas as pd

from db.enums import PLATFORM_LABELS

PLATFORM_COLORS = {
    "Google Ads": "#4285F4",
    "Facebook": "#1E3A8A",
    "Instagram": "#E1306C",
    "LinkedIn": "#0EA5E9",
    "Twitter/X": "#334155",
    "TikTok": "#14B8A6",
}
METRIC_TITLES = {
    "spend": "Spend",
    "revenue": "Revenue",
    "conversions": "Conversions",
    "clicks": "Clicks",
    "impressions": "Impressions",
    "cpa": "CPA",
    "roas": "ROAS",
    "ctr": "CTR",
    "cpc": "CPC",
    "cvr": "Conversion rate",
    "profit": "Profit",
}
MONEY_METRICS = frozenset({"spend", "revenue", "cpa", "cpc", "profit"})
SHARE_METRICS = frozenset({"ctr", "cvr"})
SPEND_COLOR, REVENUE_COLOR, LOSS_COLOR = "#6366F1", "#10B981", "#EF4444"


def number_format(metric: str, *, exact: bool = False) -> str:
    """d3 format of a metric: compact on an axis ($40k), exact in a tooltip ($40,123.45)."""
    if metric in MONEY_METRICS:
        return "$,.2f" if exact else "$~s"
    if metric in SHARE_METRICS:
        return ".2%" if exact else ".1%"
    return ".2f" if metric == "roas" else ",.0f"


def _platform_scale() -> alt.Scale:
    labels = list(PLATFORM_LABELS.values())
    return alt.Scale(domain=labels, range=[PLATFORM_COLORS[label] for label in labels])


def _platform_color() -> alt.Color:
    return alt.Color(
        "platform_label:N",
        title="Platform",
        scale=_platform_scale(),
        legend=alt.Legend(orient="bottom", title=None),
    )


def _dated(frame: pd.DataFrame, column: str = "date") -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_datetime(frame[column])
    return frame


def spend_and_revenue(daily_by_platform: pd.DataFrame, daily: pd.DataFrame) -> alt.LayerChart:
    """Daily spend stacked by platform, with the day's revenue as a line over it."""
    bars = (
        alt.Chart(_dated(daily_by_platform))
        .mark_bar(opacity=0.9)
        .encode(
            x=alt.X("yearmonthdate(date):T", title=None, axis=alt.Axis(format="%b %d")),
            y=alt.Y("sum(spend):Q", title="Spend and revenue", axis=alt.Axis(format="$,.0f")),
            color=_platform_color(),
            tooltip=[
                alt.Tooltip("yearmonthdate(date):T", title="Day"),
                alt.Tooltip("platform_label:N", title="Platform"),
                alt.Tooltip("sum(spend):Q", title="Spend", format="$,.2f"),
                alt.Tooltip("sum(revenue):Q", title="Revenue", format="$,.2f"),
                alt.Tooltip("sum(conversions):Q", title="Conversions", format=",.1f"),
            ],
        )
    )
    line = (
        alt.Chart(_dated(daily))
        .mark_line(color=REVENUE_COLOR, strokeWidth=2.5, point=alt.OverlayMarkDef(size=18))
        .encode(
            x="yearmonthdate(date):T",
            y="revenue:Q",
            tooltip=[
                alt.Tooltip("yearmonthdate(date):T", title="Day"),
                alt.Tooltip("revenue:Q", title="Revenue (all platforms)", format="$,.2f"),
                alt.Tooltip("roas:Q", title="ROAS", format=".2f"),
            ],
        )
    )
    return alt.layer(bars, line).properties(height=400)


def platform_bars(platforms: pd.DataFrame, metric: str = "spend") -> alt.Chart:
    """One bar per platform, longest first, with the platform's ROAS and CPA to hover."""
    return (
        alt.Chart(platforms)
        .mark_bar(cornerRadiusEnd=4)
        .encode(
            y=alt.Y("platform_label:N", title=None, sort="-x"),
            x=alt.X(f"{metric}:Q", title=METRIC_TITLES[metric], axis=alt.Axis(format=number_format(metric))),
            color=alt.Color("platform_label:N", legend=None, scale=_platform_scale()),
            tooltip=[
                alt.Tooltip("platform_label:N", title="Platform"),
                alt.Tooltip("spend:Q", title="Spend", format="$,.2f"),
                alt.Tooltip("revenue:Q", title="Revenue", format="$,.2f"),
                alt.Tooltip("conversions:Q", title="Conversions", format=",.1f"),
                alt.Tooltip("roas:Q", title="ROAS", format=".2f"),
                alt.Tooltip("cpa:Q", title="CPA", format="$,.2f"),
            ],
        )
        .properties(height=alt.Step(34))
    )


def trend(frame: pd.DataFrame, metric: str, *, by_platform: bool) -> alt.Chart:
    """`metric` over time (column `period`), one line per platform or one for all."""
    chart = alt.Chart(_dated(frame, "period"))
    encoding = {
        "x": alt.X("period:T", title=None, axis=alt.Axis(format="%b %d")),
        "y": alt.Y(f"{metric}:Q", title=METRIC_TITLES[metric], axis=alt.Axis(format=number_format(metric))),
        "tooltip": [
            alt.Tooltip("period:T", title="From", format="%b %d, %Y"),
            *([alt.Tooltip("platform_label:N", title="Platform")] if by_platform else []),
            alt.Tooltip(f"{metric}:Q", title=METRIC_TITLES[metric], format=number_format(metric, exact=True)),
        ],
    }
    if by_platform:
        return chart.mark_line(point=True).encode(color=_platform_color(), **encoding).properties(height=340)
    return (
        chart.mark_area(
            line={"color": SPEND_COLOR},
            color=alt.Gradient(
                gradient="linear",
                stops=[
                    alt.GradientStop(color="white", offset=0),
                    alt.GradientStop(color=SPEND_COLOR, offset=1),
                ],
                x1=1,
                x2=1,
                y1=1,
                y2=0,
            ),
            opacity=0.6,
        )
        .encode(**encoding)
        .properties(height=340)
    )


def profit_bars(roi: pd.DataFrame) -> alt.Chart:
    """Profit per campaign, green above zero and red below."""
    return (
        alt.Chart(roi)
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("campaign_name:N", title=None, sort="-x"),
            x=alt.X("profit:Q", title="Profit (revenue − spend)", axis=alt.Axis(format="$,.0f")),
            color=alt.condition(alt.datum.profit >= 0, alt.value(REVENUE_COLOR), alt.value(LOSS_COLOR)),
            tooltip=[
                alt.Tooltip("campaign_name:N", title="Campaign"),
                alt.Tooltip("spend:Q", title="Spend", format="$,.2f"),
                alt.Tooltip("revenue:Q", title="Revenue", format="$,.2f"),
                alt.Tooltip("profit:Q", title="Profit", format="$,.2f"),
                alt.Tooltip("roi:Q", title="ROI", format=".0%"),
            ],
        )
        .properties(height=alt.Step(24))
    )


def shares(comparison: pd.DataFrame) -> alt.Chart:
    """Each platform's share of spend, conversions and revenue side by side."""
    long = comparison.melt(
        id_vars=["platform_label"],
        value_vars=["share_of_spend", "share_of_conversions", "share_of_revenue"],
        var_name="measure",
        value_name="share",
    )
    long["measure"] = long["measure"].map(
        {
            "share_of_spend": "Spend",
            "share_of_conversions": "Conversions",
            "share_of_revenue": "Revenue",
        }
    )
    return (
        alt.Chart(long)
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("measure:N", title=None, sort=["Spend", "Conversions", "Revenue"]),
            x=alt.X("share:Q", title="Share of the total", axis=alt.Axis(format=".0%"), stack="normalize"),
            color=_platform_color(),
            tooltip=[
                alt.Tooltip("platform_label:N", title="Platform"),
                alt.Tooltip("measure:N", title="Of"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(height=170)
    )


def weekday_bars(pattern: pd.DataFrame, metric: str) -> alt.Chart:
    """The average day of each weekday, against the average of all days (the rule)."""
    column = f"{metric}_per_day"
    bars = (
        alt.Chart(pattern)
        .mark_bar(cornerRadiusEnd=3, color=SPEND_COLOR)
        .encode(
            x=alt.X("weekday_name:N", title=None, sort=list(pattern["weekday_name"])),
            y=alt.Y(
                f"{column}:Q",
                title=f"{METRIC_TITLES[metric]} on an average day",
                axis=alt.Axis(format=number_format(metric)),
            ),
            tooltip=[
                alt.Tooltip("weekday_name:N", title="Weekday"),
                alt.Tooltip(f"{column}:Q", title="Average day", format=number_format(metric, exact=True)),
                alt.Tooltip(f"{metric}_index:Q", title="Against the average day", format=".0%"),
                alt.Tooltip("days:Q", title="Days counted"),
            ],
        )
    )
    mean = alt.Chart(pattern).mark_rule(color="#94A3B8", strokeDash=[4, 4]).encode(y=f"mean({column}):Q")
    return alt.layer(bars, mean).properties(height=300)


def _p10_p90(base: alt.Chart, metric: str, title: str, color: str, opacity: float = 0.2) -> alt.Chart:
    """The P10–P90 band of `base` (columns p10 and p90) as a shaded area on the metric's axis."""
    return base.mark_area(opacity=opacity, color=color).encode(
        y=alt.Y("p10:Q", title=title, axis=alt.Axis(format=number_format(metric))), y2="p90:Q"
    )


def plan_weeks(weeks: pd.DataFrame, metric: str) -> alt.LayerChart:
    """A plan's expected outcome per week with its P10–P90 band (columns week_start, expected, p10, p90)."""
    frame = _dated(weeks, "week_start")
    title = METRIC_TITLES[metric]
    base = alt.Chart(frame).encode(x=alt.X("week_start:T", title="Week from", axis=alt.Axis(format="%b %d")))
    band = _p10_p90(base, metric, title, REVENUE_COLOR, opacity=0.25)
    line = base.mark_line(point=True, color=REVENUE_COLOR).encode(
        y="expected:Q",
        tooltip=[
            alt.Tooltip("week_start:T", title="Week from", format="%b %d"),
            alt.Tooltip("budget:Q", title="Budget", format="$,.2f"),
            alt.Tooltip(
                "expected:Q", title=f"Expected {title.lower()}", format=number_format(metric, exact=True)
            ),
            alt.Tooltip("p10:Q", title="P10", format=number_format(metric, exact=True)),
            alt.Tooltip("p90:Q", title="P90", format=number_format(metric, exact=True)),
        ],
    )
    return band + line


def response_curve(curve: pd.DataFrame, marks: pd.DataFrame, metric: str) -> alt.LayerChart:
    """A placement's fitted curve with its P10–P90 band, and where its spend sits (marks: spend, label)."""
    title = f"{METRIC_TITLES[metric]} a day"
    base = alt.Chart(curve).encode(x=alt.X("daily_spend:Q", title="Daily spend", axis=alt.Axis(format="$~s")))
    band = _p10_p90(base, metric, title, SPEND_COLOR)
    line = base.mark_line(color=SPEND_COLOR).encode(y="expected:Q")
    rules = (
        alt.Chart(marks)
        .mark_rule(strokeDash=[4, 3])
        .encode(x="spend:Q", color=alt.Color("label:N", legend=alt.Legend(orient="bottom", title=None)))
    )
    return band + line + rules


def frontier(points: pd.DataFrame, metric: str, current: float) -> alt.LayerChart:
    """Expected weekly outcome against the daily total, its band, and the marginal ratio in the tooltip."""
    title = f"{METRIC_TITLES[metric]} a week"
    marginal = "marginal_cpa" if metric == "conversions" else "marginal_roas"
    base = alt.Chart(points).encode(
        x=alt.X("daily_total:Q", title="Daily budget", axis=alt.Axis(format="$~s"))
    )
    band = _p10_p90(base, metric, title, REVENUE_COLOR)
    line = base.mark_line(point=True, color=REVENUE_COLOR).encode(
        y="expected:Q",
        tooltip=[
            alt.Tooltip("daily_total:Q", title="Daily budget", format="$,.2f"),
            alt.Tooltip("expected:Q", title=title, format=number_format(metric, exact=True)),
            alt.Tooltip(
                f"{marginal}:Q",
                title="Marginal CPA" if metric == "conversions" else "Marginal ROAS",
                format="$,.2f" if metric == "conversions" else ".2f",
            ),
        ],
    )
    now = alt.Chart(pd.DataFrame({"spend": [current]})).mark_rule(strokeDash=[4, 3], color=SPEND_COLOR)
    return band + line + now.encode(x="spend:Q")


def forecast_band(history: pd.DataFrame, forecast: pd.DataFrame, metric: str) -> alt.LayerChart:
    """The recorded days as a line, then the forecast as a dashed line inside its 80% interval."""
    title, axis_format = METRIC_TITLES[metric], number_format(metric)
    exact = number_format(metric, exact=True)
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %d"))
    recorded = (
        alt.Chart(_dated(history))
        .mark_line(color=SPEND_COLOR, point=True)
        .encode(
            x=x,
            y=alt.Y(f"{metric}:Q", title=title, axis=alt.Axis(format=axis_format)),
            tooltip=[
                alt.Tooltip("date:T", title="Day", format="%b %d, %Y"),
                alt.Tooltip(f"{metric}:Q", title=f"{title} (recorded)", format=exact),
            ],
        )
    )
    ahead = alt.Chart(_dated(forecast))
    band = ahead.mark_area(color=REVENUE_COLOR, opacity=0.2).encode(
        x=x, y=f"{metric}_low:Q", y2=f"{metric}_high:Q"
    )
    expected = ahead.mark_line(color=REVENUE_COLOR, strokeDash=[6, 4], point=True).encode(
        x=x,
        y=f"{metric}:Q",
        tooltip=[
            alt.Tooltip("date:T", title="Day", format="%b %d, %Y"),
            alt.Tooltip(f"{metric}:Q", title=f"{title} (expected)", format=exact),
            alt.Tooltip(f"{metric}_low:Q", title="Low (10%)", format=exact),
            alt.Tooltip(f"{metric}_high:Q", title="High (90%)", format=exact),
        ],
    )
    return alt.layer(band, recorded, expected).properties(height=340)
