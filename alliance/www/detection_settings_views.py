"""The head's detection settings: capacity and readers of the watchlist, the rule set.

The rule set is edited one indicator at a time, or replaced by a rules file, and downloaded
as one (the engine's own format, which ``alliance backtest`` reads too). Every write goes
through ``alliance.detection.school_settings``, which has the engine validate the rules and
audits the change; a refused rule names the key at fault, shown on its field.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance.detection import school_settings
from alliance.detection.engine import (
    INDICATORS,
    LEGAL_INDICATOR,
    LEGAL_REFERENCE,
    LEGAL_THRESHOLD,
    RulesError,
)
from alliance.detection.perms import can_manage_detection
from alliance.detection.watchlist import engine_language
from alliance.pupils.services import EditConflictError
from alliance.www.decorators import rule_required
from alliance.www.detection_settings_forms import (
    DetectionSettingsForm,
    IndicatorRuleForm,
    RulesFileForm,
    VersionForm,
)

RULES_FILENAME = "regles-reperage.toml"


def _language(request: HttpRequest) -> str:
    return engine_language(getattr(request, "LANGUAGE_CODE", "fr"))


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _add_rule_problems(form: Any, error: RulesError, *, prefix: str = "") -> None:
    """Put each problem the engine found on its field (``indicators.<code>.<field>``)."""
    for problem in error.problems:
        field = problem.key.removeprefix(prefix) if prefix else ""
        if field in form.fields and problem.key.startswith(prefix):
            form.add_error(field, problem.message)
        else:
            form.add_error(
                None, f"{problem.key}: {problem.message}" if problem.key else problem.message
            )


@rule_required(can_manage_detection)
def detection_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = school_settings.detection_settings_of(membership.school_id)
    initial = {
        "capacity": current.capacity,
        "professions": list(current.watchlist_professions),
        "version": current.version,
    }
    form = DetectionSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            school_settings.detection_settings_update(
                actor=membership,
                capacity=form.cleaned_data["capacity"],
                professions=form.cleaned_data["professions"],
                expected_version=form.cleaned_data["version"],
            )
        except (ValidationError, EditConflictError) as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("detection_settings")
    return render(
        request,
        "www/detection/settings.html",
        {"form": form, "current": "settings"},
        status=400 if request.method == "POST" else 200,
    )


@rule_required(can_manage_detection)
def detection_rules(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = school_settings.detection_settings_of(membership.school_id)
    rules = school_settings.rules_of(current)
    language = _language(request)
    rows = [
        {
            "code": code,
            "label": spec.label(language),
            "rule": rules.rule(code),
            "granularity": spec.granularity,
            "direction": spec.direction,
            "legal": code == LEGAL_INDICATOR,
        }
        for code, spec in INDICATORS.items()
    ]
    return render(
        request,
        "www/detection/rules.html",
        {
            "rows": rows,
            "rules": rules,
            "uses_defaults": not current.rules,
            "problems": school_settings.rules_problems(current),
            "reset_form": VersionForm(initial={"version": current.version}),
            "legal_threshold": LEGAL_THRESHOLD,
            "legal_reference": LEGAL_REFERENCE,
            "current": "rules",
        },
    )


@rule_required(can_manage_detection)
def detection_rule_edit(request: HttpRequest, code: str) -> HttpResponse:
    if code not in INDICATORS:
        raise Http404
    membership = request.membership  # type: ignore[attr-defined]
    current = school_settings.detection_settings_of(membership.school_id)
    rule = school_settings.rules_of(current).rule(code)
    initial = {
        "enabled": rule.enabled,
        "vigilance": rule.vigilance,
        "alerte": rule.alerte,
        "weight": rule.weight,
        "version": current.version,
    }
    form = IndicatorRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            school_settings.school_rule_update(
                actor=membership,
                indicator=code,
                enabled=data["enabled"],
                vigilance=data["vigilance"],
                alerte=data["alerte"],
                weight=data["weight"],
                expected_version=data["version"],
            )
        except RulesError as error:
            _add_rule_problems(form, error, prefix=f"indicators.{code}.")
        except (ValidationError, EditConflictError) as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("detection_rules")
    spec = INDICATORS[code]
    return render(
        request,
        "www/detection/rule_form.html",
        {
            "form": form,
            "code": code,
            "label": spec.label(_language(request)),
            "spec": spec,
            "legal": code == LEGAL_INDICATOR,
            "legal_threshold": LEGAL_THRESHOLD,
            "legal_reference": LEGAL_REFERENCE,
            "current": "rules",
        },
        status=400 if request.method == "POST" else 200,
    )


@rule_required(can_manage_detection)
def detection_rules_export(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    text = school_settings.school_rules_export(actor=membership)
    response = HttpResponse(text, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{RULES_FILENAME}"'
    return response


@rule_required(can_manage_detection)
def detection_rules_import(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = school_settings.detection_settings_of(membership.school_id)
    form = RulesFileForm(
        request.POST or None, request.FILES or None, initial={"version": current.version}
    )
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        else:
            try:
                school_settings.school_rules_import(
                    actor=membership,
                    text=text,
                    filename=upload.name,
                    expected_version=form.cleaned_data["version"],
                )
            except RulesError as error:
                problems = list(error.problems)
                form.add_error("file", _("The file was refused: nothing was saved."))
            except (ValidationError, EditConflictError) as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The rules file has been imported."))
                return redirect("detection_rules")
    return render(
        request,
        "www/detection/rules_import.html",
        {"form": form, "problems": problems, "current": "rules"},
        status=400 if request.method == "POST" else 200,
    )


@rule_required(can_manage_detection)
def detection_rules_reset(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    membership = request.membership  # type: ignore[attr-defined]
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            school_settings.school_rules_reset(
                actor=membership, expected_version=form.cleaned_data["version"]
            )
        except EditConflictError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The school now uses the default rules."))
    return redirect("detection_rules")
