"""The current school year of a school."""

import datetime as dt

from alliance.core import clock
from alliance.tenancy.models import School, SchoolYear


def school_year_label(day: dt.date) -> str:
    """French school years start in September: 2026-11-29 is in 2026-2027."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


def current_school_year(school: School, on: dt.date | None = None) -> SchoolYear:
    """The school year containing ``on`` (today), created with standard dates if missing."""
    day = on or clock.today()
    year = school.years.filter(starts_on__lte=day, ends_on__gte=day).first()
    if year is not None:
        return year
    label = school_year_label(day)
    start = int(label[:4])
    year, _created = SchoolYear.objects.get_or_create(
        school=school,
        label=label,
        defaults={"starts_on": dt.date(start, 9, 1), "ends_on": dt.date(start + 1, 8, 31)},
    )
    return year
