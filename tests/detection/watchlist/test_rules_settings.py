"""The school's rules and watchlist settings: validated by the engine, errors located, file round-trip."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.detection import school_settings
from alliance.detection.engine import RuleSet
from alliance.detection.models import DetectionSettings
from tests.conftest import login


def _stored(school):
    return DetectionSettings.objects.filter(school=school).first()


def test_defaults_until_the_head_changes_a_rule(client, head):
    assert school_settings.school_rules(head.school_id) == RuleSet.defaults()
    login(client, head)
    page = client.get(reverse("detection_rules"))
    assert page.status_code == 200
    assert "The school uses the default rules." in page.content.decode()
    url = reverse("detection_rule_edit", kwargs={"code": "lateness"})
    response = client.post(
        url, {"enabled": "on", "vigilance": "2", "alerte": "5", "weight": "1.5", "version": "1"}
    )
    assert response.status_code == 302
    rule = school_settings.school_rules(head.school_id).rule("lateness")
    assert (rule.vigilance, rule.alerte, rule.weight, rule.enabled) == (2, 5, 1.5, True)
    assert AuditEvent.objects.filter(object_type="detection.detectionsettings").count() == 1


@pytest.mark.parametrize(
    ("code", "data", "field", "words"),
    [
        # The law: the alert for unjustified half-days cannot be later than 4.
        ("unjustified_half_days", {"vigilance": "2", "alerte": "5"}, "alerte", "L131-8"),
        # Vigilance comes before the alert.
        ("lateness", {"vigilance": "8", "alerte": "5"}, "vigilance", "vigilance comes first"),
        # A share is at most 1.
        ("absence_rate", {"vigilance": "0.1", "alerte": "20"}, "alerte", "at most 1"),
        ("lateness", {"vigilance": "0", "alerte": "5"}, "vigilance", "greater than 0"),
    ],
)
def test_a_refused_rule_is_shown_on_its_field_and_nothing_is_saved(
    client, head, code, data, field, words
):
    login(client, head)
    url = reverse("detection_rule_edit", kwargs={"code": code})
    response = client.post(url, {"enabled": "on", "weight": "1", "version": "1", **data})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert words in errors[field][0]
    assert _stored(head.school) is None


def test_an_unknown_indicator_is_a_404(client, head):
    login(client, head)
    assert (
        client.get(reverse("detection_rule_edit", kwargs={"code": "nationality"})).status_code
        == 404
    )


def test_the_rules_file_round_trip(client, head):
    school_settings.school_rule_update(
        actor=head, indicator="incidents", enabled=True, vigilance=2, alerte=4, weight=2.5
    )
    login(client, head)
    exported = client.get(reverse("detection_rules_export"))
    assert exported.status_code == 200
    assert exported["Content-Disposition"] == 'attachment; filename="regles-reperage.toml"'
    text = exported.content.decode()
    assert "[indicators.incidents]" in text
    assert AuditEvent.objects.filter(action="export", object_type="detection.rules").count() == 1
    before = school_settings.school_rules(head.school_id)
    # Back to the defaults, then the file brings the school's rules back exactly.
    school_settings.school_rules_reset(actor=head)
    assert school_settings.school_rules(head.school_id) == RuleSet.defaults()
    version = _stored(head.school).version
    upload = SimpleUploadedFile("regles-reperage.toml", text.encode(), content_type="text/plain")
    response = client.post(
        reverse("detection_rules_import"), {"file": upload, "version": str(version)}
    )
    assert response.status_code == 302
    after = school_settings.school_rules(head.school_id)
    assert after.to_document() == before.to_document()
    assert after.rule("incidents").weight == 2.5


def test_a_bad_rules_file_lists_every_problem_where_it_is(client, head):
    login(client, head)
    text = (
        "[indicators.lateness]\nvigilance = 9\nalerte = 3\n\n"
        "[indicators.unjustified_half_days]\nalerte = 6\n\n"
        "[indicators.shoe_size]\nalerte = 1\n"
    )
    upload = SimpleUploadedFile("rules.toml", text.encode())
    response = client.post(reverse("detection_rules_import"), {"file": upload, "version": "1"})
    assert response.status_code == 400
    keys = [problem.key for problem in response.context["problems"]]
    assert keys == [
        "indicators.lateness.vigilance",
        "indicators.unjustified_half_days.alerte",
        "indicators.shoe_size",
    ]
    body = response.content.decode()
    assert "<code>indicators.lateness.vigilance</code>" in body
    assert _stored(head.school) is None
    # A syntax error names its line.
    upload = SimpleUploadedFile("rules.toml", b"[indicators.lateness\nalerte = 3\n")
    response = client.post(reverse("detection_rules_import"), {"file": upload, "version": "1"})
    assert "line 1" in response.context["problems"][0].message
    # Not a rules file at all.
    upload = SimpleUploadedFile("rules.csv", b"a;b\n")
    response = client.post(reverse("detection_rules_import"), {"file": upload, "version": "1"})
    assert "file" in response.context["form"].errors


def test_capacity_and_readers(client, head, cpe):
    login(client, head)
    url = reverse("detection_settings")
    assert client.get(url).status_code == 200
    response = client.post(url, {"capacity": "0", "professions": ["cpe"], "version": "1"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["capacity"]
    response = client.post(
        url, {"capacity": "8", "professions": ["cpe", "form_tutor"], "version": "1"}
    )
    assert response.status_code == 302
    settings = _stored(head.school)
    assert settings.capacity == 8
    assert settings.watchlist_professions == ["cpe", "form_tutor"]
    # A stale form does not overwrite a newer change.
    response = client.post(url, {"capacity": "20", "professions": [], "version": "1"})
    assert response.status_code == 400
    assert _stored(head.school).capacity == 8


def test_only_the_head_changes_the_settings(cpe):
    with pytest.raises(PermissionDenied):
        school_settings.detection_settings_update(actor=cpe, capacity=3, professions=[])
    with pytest.raises(PermissionDenied):
        school_settings.school_rules_import(actor=cpe, text="", filename="r.toml")
    with pytest.raises(PermissionDenied):
        school_settings.school_rule_update(
            actor=cpe, indicator="lateness", enabled=True, vigilance=1, alerte=2, weight=1
        )
    assert not DetectionSettings.objects.exists()
