"""Privacy records (issue 5): releases of secret notes for a right-of-access request.

A note under professional secrecy (kept to the author's profession or to the author, or
written by a secrecy-bound professional) is left out of a pupil's right-of-access export
unless its author releases it. The release is kept here, not on the note, so the cases
app's schema is untouched; it is recorded once, by the author only, and audited
(``alliance.privacy.access_export.note_release_for_access_request``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel


class NoteRelease(PublicIdModel):
    """The author's release of one of their notes for the family's right of access."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    note = models.OneToOneField(
        "cases.CaseNote", on_delete=models.PROTECT, related_name="access_release"
    )
    released_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"))

    class Meta:
        verbose_name = _("note released for a right-of-access request")
        verbose_name_plural = _("notes released for a right-of-access request")
        ordering = ["released_at", "pk"]

    def __str__(self) -> str:
        return f"release {self.public_id}"
