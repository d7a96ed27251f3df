"""What each indicator means, how it is shown (sections, comparison with the previous period, bar charts) and
how small numbers are protected before figures leave the organisation (steering)."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from app.field.days import TIME_BANDS
from app.i18n import _, lazy
from app.stays.service import EXIT_KINDS
from app.structures.forms import STRUCTURE_KINDS

# (key, label, definition, unit). Units: "" (a count), "%", "days", "/day".
SECTIONS: list[tuple[object, list[tuple[str, object, object, str]]]] = [
    (
        lazy("Street work"),
        [
            ("rounds", lazy("Rounds"), lazy("Rounds started in the period."), ""),
            (
                "encounters",
                lazy("Encounters"),
                lazy("Encounters recorded in the period, with one or more persons."),
                "",
            ),
            ("persons_met", lazy("Persons met"), lazy("Distinct persons in at least one encounter of the period."), ""),
            ("new_persons", lazy("New persons"), lazy("Persons whose record was created in the period."), ""),
            (
                "anonymous_contacts",
                lazy("Anonymous contacts"),
                lazy("People met during rounds without being identified (sum of the counts given)."),
                "",
            ),
            (
                "materials",
                lazy("Materials given"),
                lazy("Units of material given in encounters and anonymous contacts."),
                "",
            ),
            ("observations", lazy("Observations"), lazy("Observations of territories recorded in the period."), ""),
        ],
    ),
    (
        lazy("Rest areas"),
        [
            ("checkins", lazy("Check-ins"), lazy("Visits to a rest area or reception, named or anonymous."), ""),
            (
                "checkin_persons",
                lazy("Persons checked in"),
                lazy("Distinct named persons with at least one check-in."),
                "",
            ),
            (
                "checkins_per_day",
                lazy("Check-ins per day"),
                lazy("Check-ins divided by the days of the period."),
                "/day",
            ),
            (
                "checkin_occupancy",
                lazy("Occupancy"),
                lazy("Check-ins per day over the places of the rest areas (their capacity), in percent."),
                "%",
            ),
        ],
    ),
    (
        lazy("Needs"),
        [
            ("needs", lazy("Needs recorded"), lazy("Needs created in the period."), ""),
            ("needs_done", lazy("Needs done"), lazy("Needs marked done in the period."), ""),
            (
                "needs_median_days",
                lazy("Median time to done"),
                lazy("Half of the needs done in the period took less than this, from creation to done."),
                "days",
            ),
        ],
    ),
    (
        lazy("Referrals"),
        [
            ("referrals", lazy("Referrals"), lazy("Referrals created in the period."), ""),
            ("referrals_sent", lazy("Sent"), lazy("Of these, referrals sent to the structure."), ""),
            (
                "referrals_answered",
                lazy("Answered"),
                lazy("Of these, referrals accepted, refused or put on a waiting list."),
                "",
            ),
            ("referrals_accepted", lazy("Accepted"), lazy("Of these, referrals accepted."), ""),
            ("referrals_admitted", lazy("Admitted or came"), lazy("Of these, persons admitted or who came."), ""),
            ("referrals_refused", lazy("Refused"), lazy("Of these, referrals refused."), ""),
            ("referrals_accepted_rate", lazy("Acceptance rate"), lazy("Accepted over sent."), "%"),
            ("referrals_admitted_rate", lazy("Admission rate"), lazy("Admitted or came over sent."), "%"),
            ("referrals_refused_rate", lazy("Refusal rate"), lazy("Refused over sent."), "%"),
            ("referrals_no_show", lazy("Did not come"), lazy("Of these, persons accepted who did not come."), ""),
            ("referrals_no_show_rate", lazy("No-show rate"), lazy("Did not come over accepted."), "%"),
            (
                "referrals_answer_median_days",
                lazy("Median time to an answer"),
                lazy("Half of the referrals answered were answered sooner, from sending to the first answer."),
                "days",
            ),
            (
                "referrals_admission_median_days",
                lazy("Median time to admission"),
                lazy("Half of the persons admitted (or who came) were sooner, from sending to admission."),
                "days",
            ),
        ],
    ),
    (
        lazy("Accommodation"),
        [
            ("stays_occupancy", lazy("Persons housed"), lazy("Stays open on the last day of the period."), ""),
            ("stays_entries", lazy("Entries"), lazy("Stays that began in the period."), ""),
            ("stays_exits", lazy("Exits"), lazy("Stays that ended in the period."), ""),
            (
                "stays_median_days",
                lazy("Median length of stay"),
                lazy("Half of the stays ended in the period were shorter."),
                "days",
            ),
            (
                "stays_long",
                lazy("Stays over 6 months"),
                lazy("Open stays on the last day that began more than 183 days before."),
                "",
            ),
            ("stays_long_share", lazy("Share over 6 months"), lazy("Stays over 6 months over persons housed."), "%"),
            (
                "stays_estimated_days",
                lazy("Estimated average stay"),
                lazy("Persons housed divided by the exits per year (exits of the period brought to a year), in days."),
                "days",
            ),
            ("sheltered", lazy("Persons sheltered"), lazy("Distinct persons housed at some point in the period."), ""),
            (
                "sheltered_with_procedures",
                lazy("Sheltered with procedures"),
                lazy("Of these, persons with a health or social procedure started by the end of the period."),
                "",
            ),
            (
                "sheltered_with_procedures_share",
                lazy("Share with procedures"),
                lazy("Sheltered with procedures over sheltered."),
                "%",
            ),
        ],
    ),
    (
        lazy("Persons"),
        [
            (
                "people",
                lazy("Persons met or checked in"),
                lazy("Distinct persons in an encounter or a check-in of the period."),
                "",
            )
        ],
    ),
]
GROUPS: list[tuple[str, object, object]] = [
    (
        "rounds_by_band",
        lazy("Rounds by time band"),
        lazy("Day 7:00-18:00, evening 18:00-22:00, night 22:00-7:00, weekend."),
    ),
    ("materials", lazy("Materials by type"), lazy("Units given, per material.")),
    (
        "occupancy_by_hour",
        lazy("Rest area occupancy by time of day"),
        lazy(
            "Average persons present in each 2-hour band of the day over the places of the rest areas, in percent "
            "(a visit not checked out counts for 24 hours at most)."
        ),
    ),
    ("needs_by_category", lazy("Needs by category"), lazy("Needs created in the period, per category.")),
    ("needs_by_status", lazy("Needs by status"), lazy("Needs created in the period, by their status today.")),
    (
        "referrals_sent_by_kind",
        lazy("Referrals sent, by kind of structure"),
        lazy("Referrals created in the period and sent, per kind of structure."),
    ),
    (
        "referrals_accepted_by_kind",
        lazy("Referrals accepted, by kind of structure"),
        lazy("Of these, referrals accepted, per kind of structure."),
    ),
    (
        "referrals_admitted_by_kind",
        lazy("Persons admitted or who came, by kind of structure"),
        lazy("Of these, persons admitted or who came, per kind of structure."),
    ),
    ("stays_exits", lazy("Exits by kind"), lazy("Stays ended in the period, by kind of exit.")),
    ("gender", lazy("Gender"), lazy("Persons met or checked in, by gender as recorded.")),
    ("age", lazy("Age"), lazy("Persons met or checked in, by age reached in the year of the period's end.")),
    (
        "street",
        lazy("Time on the street"),
        lazy("Persons met or checked in, by time since they have been on the street."),
    ),
]
KEY_LABELS = {
    **STRUCTURE_KINDS,
    **TIME_BANDS,
    **EXIT_KINDS,
    "unknown": lazy("Not known"),
    "todo": lazy("To do"),
    "in_progress": lazy("In progress"),
    "done": lazy("Done"),
    "cancelled": lazy("Cancelled"),
    "under_18": lazy("Under 18"),
    "18_25": lazy("18 to 25"),
    "26_35": lazy("26 to 35"),
    "36_45": lazy("36 to 45"),
    "46_55": lazy("46 to 55"),
    "56_plus": lazy("56 and over"),
    "under_1": lazy("Less than a year"),
    "1_3": lazy("1 to 3 years"),
    "3_5": lazy("3 to 5 years"),
    "5_plus": lazy("5 years or more"),
    "true": lazy("Yes"),
    "false": lazy("No"),
}
# Breakdowns in percent of a capacity, shown in the order of their keys (the hours of the day), not by size.
PERCENT_GROUPS = {"occupancy_by_hour": "checkin_capacity"}
KEY_LABELS.update({f"{h:02d}": f"{h:02d}:00-{h + 2:02d}:00" for h in range(0, 24, 2)})
UNITS = {key: unit for _title, items in SECTIONS for key, _l, _d, unit in items}
# Rates and derived figures, recomputed from summed parts for a total over several organisations.
RATES = {
    "referrals_accepted_rate": ("referrals_accepted", "referrals_sent"),
    "referrals_admitted_rate": ("referrals_admitted", "referrals_sent"),
    "referrals_refused_rate": ("referrals_refused", "referrals_sent"),
    "referrals_no_show_rate": ("referrals_no_show", "referrals_accepted"),
    "stays_long_share": ("stays_long", "stays_occupancy"),
    "sheltered_with_procedures_share": ("sheltered_with_procedures", "sheltered"),
}
COUNTS = {key for key, unit in UNITS.items() if unit == ""}
SMALL = "<5"
HIDDEN = "·"


def key_label(key: str) -> str:
    return str(_(KEY_LABELS[key])) if key in KEY_LABELS else key


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} %" if unit == "%" else text


def change(now, before) -> str:
    if not isinstance(now, int | float) or not isinstance(before, int | float) or isinstance(now, bool):
        return ""
    diff = now - before
    if not before:
        return "" if not diff else ("+" + fmt(round(diff, 1)))
    pct = round(100 * diff / before)
    return f"{'+' if diff >= 0 else ''}{pct} %"


@dataclass
class Bar:
    label: str
    value: int
    text: str
    width: float  # share of the longest bar, 0..100


@dataclass
class Chart:
    key: str
    title: str
    definition: str
    bars: list[Bar] = field(default_factory=list)


def chart(key: str, title, definition, counts: dict[str, int], shown: dict[str, str] | None = None) -> Chart:
    """Bars of a breakdown, largest first (a hidden or small cell is drawn as nothing, its text says why)."""
    c = Chart(key, str(title), str(definition))
    if key in PERCENT_GROUPS:  # against the whole capacity, hours in order
        for k, v in sorted(counts.items()):
            text = shown[k] if shown else fmt(v, "%")
            c.bars.append(Bar(key_label(k), v, text, min(v, 100) if text != HIDDEN else 0))
        return c
    top = max(counts.values(), default=0) or 1
    for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        text = shown[k] if shown else str(v)
        visible = text == str(v)
        c.bars.append(Bar(key_label(k), v, text, round(100 * v / top, 1) if visible else 0))
    return c


# ---------------------------------------------------------------- protecting small numbers
def protect_cells(values: dict[str, int]) -> dict[str, str]:
    """1 to 4 shows as "<5"; when only one cell of a breakdown would be hidden, the next smallest is hidden too,
    so that it cannot be recomputed from the total."""
    shown = {k: (SMALL if 0 < v < 5 else str(v)) for k, v in values.items()}
    small = [k for k, v in values.items() if 0 < v < 5]
    if len(small) == 1:
        others = sorted((v, k) for k, v in values.items() if v >= 5)
        if others:
            shown[others[0][1]] = HIDDEN
    return shown


def protect_figure(key: str, figures: dict) -> str:
    value = figures.get(key)
    if value is None:
        return "—"
    if key in COUNTS:
        return SMALL if 0 < value < 5 else str(value)
    if key in RATES:
        num, den = (figures.get(k) or 0 for k in RATES[key])
        if 0 < num < 5 or den < 5:
            return HIDDEN
    if key in ("needs_median_days",) and (figures.get("needs_done") or 0) < 5:
        return HIDDEN
    if key == "referrals_answer_median_days" and (figures.get("referrals_answered") or 0) < 5:
        return HIDDEN
    if key == "referrals_admission_median_days" and (figures.get("referrals_admitted") or 0) < 5:
        return HIDDEN
    if key in ("stays_median_days", "stays_estimated_days") and (figures.get("stays_exits") or 0) < 5:
        return HIDDEN
    return fmt(value, UNITS.get(key, ""))


def totals(figures: list[dict], days: int) -> dict:
    """Figures summed over several organisations (counts), rates recomputed from the sums; medians are not
    additive and are left out."""
    out: dict = {k: sum(f.get(k) or 0 for f in figures) for k in COUNTS}
    for key, (num, den) in RATES.items():
        out[key] = round(100 * out[num] / out[den], 1) if out[den] else None
    out["checkins_per_day"] = round(out["checkins"] / days, 1)
    exits = out["stays_exits"]
    out["stays_estimated_days"] = round(out["stays_occupancy"] * days / exits) if exits else None
    return out


# ---------------------------------------------------------------- the organisation's page
@dataclass
class Row:
    key: str
    label: str
    definition: str
    now: str
    before: str
    change: str


@dataclass
class Section:
    title: str
    rows: list[Row]


@dataclass
class View:
    sections: list[Section]
    charts: list[Chart]


def _groups(indicators) -> list[tuple[str, str, str]]:
    """(key, title, definition) of each breakdown, the custom fields marked for indicators last."""
    out = [(key, str(title), str(definition)) for key, title, definition in GROUPS]
    for key in indicators.groups:
        if key.startswith("custom:"):
            out.append((key, key.removeprefix("custom:"), str(_("A person field used in indicators."))))
    return out


def view(page) -> View:
    f, b = page.now.figures, page.before.figures
    sections = [
        Section(
            str(title),
            [
                Row(
                    key,
                    str(label),
                    str(d),
                    fmt(f.get(key), unit),
                    fmt(b.get(key), unit),
                    change(f.get(key), b.get(key)),
                )
                for key, label, d, unit in items
            ],
        )
        for title, items in SECTIONS
    ]
    charts = [chart(key, title, d, page.now.groups.get(key, {})) for key, title, d in _groups(page.now)]
    return View(sections, charts)


def rows(page) -> Iterator[list]:
    """The figures as rows for a spreadsheet: section, indicator, this period, the previous one, definition."""
    s, p = page.scope, page.scope.previous()
    yield [
        str(_("Section")),
        str(_("Indicator")),
        f"{s.start:%d/%m/%Y}-{s.end:%d/%m/%Y}",
        f"{p.start:%d/%m/%Y}-{p.end:%d/%m/%Y}",
        str(_("Definition")),
    ]
    f, b = page.now.figures, page.before.figures
    for title, items in SECTIONS:
        for key, label, d, _unit in items:
            yield [str(title), str(label), f.get(key), b.get(key), str(d)]
    for key, title, d in _groups(page.now):
        before = page.before.groups.get(key, {})
        for k, v in sorted(page.now.groups.get(key, {}).items()):
            yield [title, key_label(k), v, before.get(k, 0), d]


# ---------------------------------------------------------------- steering: per organisation and total
@dataclass
class Consolidated:
    columns: list[str]  # organisation names, then the total
    sections: list[tuple[str, list[tuple[str, str, list[str]]]]]  # title, (key, label, cells)
    charts: list[tuple[str, str, list[tuple[str, list[str]]]]]  # title, definition, (key label, cells)
    total_charts: list[Chart]
    definitions: list[Section]


def _protect_across(cells: list[str], raw: list, total: str) -> str:
    """A total is hidden when exactly one organisation's figure is hidden (it would be the total minus the
    others)."""
    hidden = [c for c, v in zip(cells, raw, strict=True) if c in (SMALL, HIDDEN) and v]
    return HIDDEN if len(hidden) == 1 and len(cells) > 1 else total


def _percent_across(key: str, title, definition, orgs: list[tuple[str, object]]):
    """A breakdown in percent of a capacity: the total is the mean of the organisations' figures weighted by their
    capacities. An organisation with fewer than 5 check-ins in the period shows none (and then neither does the
    total, if it is the only one hidden)."""
    weight = PERCENT_GROUPS[key]
    per_org = [
        (ind.groups.get(key, {}), ind.figures.get(weight) or 0, ind.figures.get("checkins") or 0) for _n, ind in orgs
    ]
    keys = sorted({k for values, _c, _n in per_org for k in values})
    capacity = sum(c for values, c, _n in per_org if values)
    hidden = [bool(values) and n < 5 for values, _c, n in per_org]
    summed = (
        {k: round(sum(v.get(k, 0) * c for v, c, _n in per_org if v) / capacity, 1) for k in keys} if capacity else {}
    )
    hide_total = sum(hidden) == 1 and len(orgs) > 1
    lines, shown_total = [], {}
    for k in keys:
        cells = [
            HIDDEN if h else (fmt(v[k], "%") if k in v else "—") for (v, _c, _n), h in zip(per_org, hidden, strict=True)
        ]
        shown_total[k] = HIDDEN if hide_total or all(hidden) else fmt(summed[k], "%")
        lines.append((key_label(k), [*cells, shown_total[k]]))
    return lines, chart(key, title, definition, summed, shown_total)


def consolidated(orgs: list[tuple[str, object]], days: int) -> Consolidated:
    """Only figures leave: counts of 1 to 4 show as "<5", and a figure from which one could be recomputed is
    hidden too."""
    figures = [ind.figures for _name, ind in orgs]
    total = totals(figures, days)
    sections = []
    for title, items in SECTIONS:
        lines = []
        for key, label, _d, _unit in items:
            cells = [protect_figure(key, f) for f in figures]
            total_cell = protect_figure(key, total)
            if len(orgs) > 1 and key in COUNTS:
                total_cell = _protect_across(cells, [f.get(key) for f in figures], total_cell)
            lines.append((key, str(label), [*cells, total_cell]))
        sections.append((str(title), lines))
    charts, total_charts = [], []
    for key, title, d in GROUPS:
        if key in PERCENT_GROUPS:
            line_cells, total_chart = _percent_across(key, title, d, orgs)
            charts.append((str(title), str(d), line_cells))
            total_charts.append(total_chart)
            continue
        per_org = [protect_cells(ind.groups.get(key, {})) for _n, ind in orgs]
        summed: dict[str, int] = {}
        for _n, ind in orgs:
            for k, v in ind.groups.get(key, {}).items():
                summed[k] = summed.get(k, 0) + v
        shown_total = protect_cells(summed)
        keys = sorted(summed, key=lambda k: (-summed[k], k))
        lines = []
        for k in keys:
            cells = [p.get(k, "0") for p in per_org]
            raw = [ind.groups.get(key, {}).get(k, 0) for _n, ind in orgs]
            cell = shown_total[k]
            if len(orgs) > 1 and cell not in (SMALL, HIDDEN):
                cell = _protect_across(cells, raw, cell)
                shown_total[k] = cell
            lines.append((key_label(k), [*cells, cell]))
        charts.append((str(title), str(d), lines))
        total_charts.append(chart(key, title, d, summed, shown_total))
    definitions = [
        Section(str(t), [Row(k, str(lb), str(d), "", "", "") for k, lb, d, _u in items]) for t, items in SECTIONS
    ]
    return Consolidated([name for name, _i in orgs] + [str(_("Total"))], sections, charts, total_charts, definitions)
