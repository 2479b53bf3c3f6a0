"""The observation grid: note signs seen in a pupil (the head keeps the catalogue: ``sign_catalogue``).

Reads go through ``pupils.selectors`` (a pupil one may not see is the same 404 as a missing
one); writes through ``alliance.detection.observations``, which audits them.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance.detection import observations
from alliance.pupils.selectors import pupil_get_visible
from alliance.www.decorators import rule_required
from alliance.www.observation_forms import ObservationForm


@rule_required(observations.can_record_observations)
def observation_create(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    form = ObservationForm(request.POST or None, school=membership.school)
    if request.method == "POST" and form.is_valid():
        try:
            observations.observation_record(
                actor=membership,
                pupil=pupil,
                signs=form.cleaned_data["signs"],
                observed_on=form.cleaned_data["observed_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your observation has been noted."))
            return redirect("pupil_detail", public_id=pupil.public_id)
    return render(
        request,
        "www/detection/observation_form.html",
        {
            "form": form,
            "pupil": pupil,
            "own": observations.observations_visible_to(membership)
            .filter(pupil_id=pupil.pk, recorded_by_id=membership.pk)
            .order_by("-observed_on", "-pk")[:20],
        },
    )
