"""The backtest report: one JSON file and one self-contained HTML file (no external asset),
marked internal on every printed page."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

from alliance.detection.engine.catalogue import INDICATORS

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:70rem;
padding:0 1.5rem 3rem;color:#161616;line-height:1.45}
.marking{background:#fff4e5;border:2px solid #b34000;color:#b34000;font-weight:700;padding:.4rem .8rem;
margin:1rem 0;text-align:center}
@media print{.marking.top{position:fixed;top:0;left:0;right:0;margin:0}body{padding-top:3rem}}
.notice{border-left:.3rem solid #000091;background:#f5f5fe;padding:.6rem 1rem;margin:1rem 0}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
thead th{background:#eee}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1.05rem}
.small{font-size:.85rem;color:#3a3a3a}
.bar{display:inline-block;height:.7rem;background:#6a6af4;vertical-align:middle}
.facts td{text-align:left}
"""

SECTIONS = (
    "input",
    "comparison",
    "calibration",
    "lead-time",
    "fairness",
    "methods",
    "caveats",
)

CAVEATS_FR = [
    "Le Wisconsin (DEWS) a retiré son système statistique d'alerte précoce après qu'il s'est "
    "révélé imprécis et biaisé au détriment des élèves issus de minorités : un score qui "
    "classe bien en moyenne peut se tromper davantage pour certains groupes. D'où ce rapport "
    "d'équité, à lire avant tout usage, et la règle : le score suggère, l'équipe décide.",
    "Les groupes (--group) ne servent qu'à ce rapport : ils ne sont jamais une entrée des "
    "règles ni du modèle. Les caractéristiques protégées (sexe, nationalité, bourse, santé, "
    "passages à l'infirmerie…) sont refusées comme entrées.",
    "Un écart de rappel signifie que les élèves qui finiront par décrocher sont moins souvent "
    "repérés dans un groupe que dans un autre ; un écart de taux de faux positifs, que des "
    "élèves qui s'en sortiront sont plus souvent signalés dans un groupe. Les petits groupes "
    "(moins de {min_group} élèves) sont affichés mais exclus du calcul des écarts.",
    "Toutes les mesures du modèle viennent de prédictions hors échantillon (validation "
    "croisée) : aucun élève n'est jugé par un modèle qui l'a vu. Les ex-aequo des règles sont "
    "départagés au hasard en espérance.",
    "Un bon backtest sur des données passées ne garantit pas la suite : la population, les "
    "pratiques de saisie et les seuils changent. À refaire chaque année.",
]


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return f"{value}"
    return f"{value:.{digits}f}"


def _share(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f} %"


def _table(head: list[str], rows: list[list[str]], css_class: str = "") -> str:
    header = "".join(f"<th>{escape(cell)}</th>" for cell in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<table{attribute}><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _section_input(report: dict[str, Any]) -> str:
    rows = []
    for key, value in report["input"].items():
        if isinstance(value, list):
            text = escape(", ".join(str(item) for item in value) or "—")
        elif isinstance(value, dict):
            text = escape(json.dumps(value, ensure_ascii=False) if value else "—")
        elif isinstance(value, float):
            text = _share(value) if key == "prevalence" else _number(value)
        else:
            text = escape(str(value))
        rows.append([escape(key), text])
    notes = "".join(f"<li>{escape(note)}</li>" for note in report["notes"])
    return (
        '<section id="input"><h2>Données</h2>'
        + _table(["", "valeur"], rows, "facts")
        + f"<ul class='small'>{notes}</ul></section>"
    )


def _section_comparison(report: dict[str, Any]) -> str:
    head = ["méthode", "AUC ROC"]
    for capacity in report["capacities"]:
        head += [f"précision à {capacity:.0%}", f"rappel à {capacity:.0%}"]
    head += ["signalés", "précision (signal)", "rappel (signal)", "exactitude (0,5)"]
    rows = []
    for method in report["methods"]:
        row = [escape(method["name"]), _number(method["auc"])]
        for entry in method["at_capacity"]:
            row += [_share(entry["precision"]), _share(entry["recall"])]
        flag = method["flag"]
        row += [
            _share(flag["share_selected"]),
            _share(flag["precision"]),
            _share(flag["recall"]),
            "—" if method["accuracy"] is None else f"{method['accuracy']:.1f} %",
        ]
        rows.append(row)
    sizes = (
        ", ".join(
            f"{entry['capacity']:.0%} = {entry['k']} élèves"
            for entry in report["methods"][0]["at_capacity"]
        )
        if report["methods"]
        else ""
    )
    return (
        '<section id="comparison"><h2>Comparaison des méthodes</h2>'
        "<p class='small'>AUC ROC : probabilité qu'un élève concerné soit classé avant un "
        "élève qui ne l'est pas (0,5 = hasard, 1 = parfait). Précision et rappel à k : si "
        f"l'équipe examine les k premiers élèves ({escape(sizes)}), la part de situations "
        "réelles parmi eux, et la part des situations réelles qu'elle voit. « Signal » : la "
        "règle de signalement propre à chaque méthode.</p>" + _table(head, rows) + "</section>"
    )


def _section_calibration(report: dict[str, Any]) -> str:
    parts = [
        '<section id="calibration"><h2>Calibration</h2><p class="small">Pour un modèle : la '
        "probabilité annoncée contre la fréquence observée (tableau de fiabilité) et le score "
        "de Brier (moyenne de (p − y)², plus bas = mieux). Une règle ne donne pas de "
        "probabilité : on montre la fréquence observée à chaque niveau de score.</p>"
    ]
    for method in report["methods"]:
        calibration = method["calibration"]
        parts.append(f"<h3>{escape(method['name'])}</h3>")
        if calibration["reliability"] is not None:
            parts.append(f"<p>Score de Brier : {_number(calibration['brier'], 4)}</p>")
            rows = [
                [
                    f"{row['from']:.1f}–{row['to']:.1f}",
                    str(row["n"]),
                    _share(row["mean_predicted"]),
                    _share(row["observed_rate"]),
                ]
                for row in calibration["reliability"]
            ]
            parts.append(_table(["probabilité", "élèves", "prédit", "observé"], rows))
        if calibration["rate_by_score"] is not None:
            rows = [
                [
                    _number(row["from"], 2)
                    if row["from"] == row["to"]
                    else f"{_number(row['from'], 2)}–{_number(row['to'], 2)}",
                    str(row["n"]),
                    _share(row["observed_rate"]),
                ]
                for row in calibration["rate_by_score"]
            ]
            parts.append(_table(["score", "élèves", "observé"], rows))
    parts.append("</section>")
    return "".join(parts)


def _section_lead_time(report: dict[str, Any]) -> str:
    parts = ['<section id="lead-time"><h2>Délai d\'anticipation</h2>']
    if report["mode"] != "events":
        parts.append(
            "<p>Sans dates (tableau par élève), le délai d'anticipation ne peut pas être "
            "mesuré : il faut des événements datés et des issues datées (--events, --outcomes).</p>"
        )
    else:
        parts.append(
            "<p class='small'>Pour chaque élève concerné : combien de jours avant l'issue la "
            "méthode l'a signalé pour la première fois (en rejouant les événements mois par "
            "mois). « Non concernés signalés » : part des autres élèves signalés au moins une "
            "fois, le prix de ce délai.</p>"
        )
        rows = []
        for method in report["methods"]:
            lead = method["lead_time"]
            if lead is None:
                continue
            histogram = " · ".join(f"{band['days']} j : {band['n']}" for band in lead["histogram"])
            rows.append(
                [
                    escape(method["name"]),
                    str(lead["positives"]),
                    str(lead["flagged_before_outcome"]),
                    _share(lead["share_flagged_before_outcome"]),
                    _number(lead["median_days"], 0),
                    f"{_number(lead['q1_days'], 0)}–{_number(lead['q3_days'], 0)}",
                    escape(histogram),
                    _share(lead.get("negatives_ever_flagged")),
                ]
            )
        parts.append(
            _table(
                [
                    "méthode",
                    "concernés",
                    "signalés avant",
                    "part",
                    "médiane (j)",
                    "Q1–Q3 (j)",
                    "distribution",
                    "non concernés signalés",
                ],
                rows,
            )
        )
    parts.append("</section>")
    return "".join(parts)


def _section_fairness(report: dict[str, Any]) -> str:
    parts = [
        '<section id="fairness"><h2>Équité</h2><p class="small">Par colonne de groupe : '
        "rappel (part des élèves concernés repérés) et taux de faux positifs (part des autres "
        "élèves signalés) dans chaque groupe, et l'écart entre le plus haut et le plus bas. "
        "Les groupes servent uniquement à ce rapport.</p>"
    ]
    if not report["groups"]:
        parts.append("<p>Aucune colonne de groupe donnée (--group) : pas de rapport d'équité.</p>")
    flag_capacity = f"{report['flag_capacity']:g}"
    for column in report["groups"]:
        parts.append(f"<h3>{escape(column)}</h3>")
        head = ["méthode"]
        for capacity in report["capacities"]:
            head += [f"écart rappel à {capacity:.0%}", f"écart faux positifs à {capacity:.0%}"]
        head += ["écart rappel (signal)", "écart faux positifs (signal)"]
        rows = []
        for method in report["methods"]:
            fairness = method["fairness"][column]
            row = [escape(method["name"])]
            for capacity in report["capacities"]:
                entry = fairness["capacity"][f"{capacity:g}"]
                row += [_share(entry["recall_gap"]), _share(entry["false_positive_rate_gap"])]
            row += [
                _share(fairness["flag"]["recall_gap"]),
                _share(fairness["flag"]["false_positive_rate_gap"]),
            ]
            rows.append(row)
        parts.append(_table(head, rows))
        detail_rows = []
        for method in report["methods"]:
            entry = method["fairness"][column]["capacity"][flag_capacity]
            for group in entry["groups"]:
                detail_rows.append(
                    [
                        escape(method["name"]),
                        escape(group["group"]) + (" (petit groupe)" if group["too_small"] else ""),
                        str(group["n"]),
                        str(group["positives"]),
                        _share(group["recall"]),
                        _share(group["false_positive_rate"]),
                    ]
                )
        parts.append(
            f"<p class='small'>Détail à {report['flag_capacity']:.0%} des élèves :</p>"
            + _table(
                ["méthode", "groupe", "élèves", "concernés", "rappel", "faux positifs"],
                detail_rows,
            )
        )
    parts.append("</section>")
    return "".join(parts)


def _rules_table(document: dict[str, Any]) -> str:
    rows = []
    for code, rule in document["indicators"].items():
        if not rule["enabled"]:
            continue
        spec = INDICATORS[code]
        rows.append(
            [
                escape(spec.label_fr),
                _number(rule["vigilance"], 2),
                _number(rule["alerte"], 2),
                _number(rule["weight"], 2),
            ]
        )
    return _table(["indicateur", "vigilance", "alerte", "poids"], rows)


def _section_methods(report: dict[str, Any]) -> str:
    parts = ['<section id="methods"><h2>Méthodes</h2><ul>']
    for method in report["methods"]:
        parts.append(
            f"<li><strong>{escape(method['name'])}</strong> : {escape(method['description'])} "
            f"Signal : {escape(method['flag']['definition'])}.</li>"
        )
    parts.append("</ul>")
    score = report["rules"]["score"]
    parts.append(
        f"<h3>Règles de l'établissement ({escape(report['rules']['name'])})</h3>"
        f"<p class='small'>Score : {escape(score['method'])}, fenêtre {score['window_months']} "
        f"mois, plafond {score['cap']}.</p>" + _rules_table(report["rules"])
    )
    parts.append("<h3>Règles type Pronote</h3>" + _rules_table(report["pronote_like_rules"]))
    parts.append("</section>")
    return "".join(parts)


def _section_caveats(report: dict[str, Any]) -> str:
    min_group = 10
    for method in report["methods"]:
        for column in method["fairness"].values():
            min_group = column["flag"]["min_group_size"]
    items = "".join(f"<li>{escape(text.format(min_group=min_group))}</li>" for text in CAVEATS_FR)
    return f'<section id="caveats"><h2>À lire avant tout usage</h2><ul>{items}</ul></section>'


def render_html(report: dict[str, Any]) -> str:
    marking = escape(report["internal_marking"])
    body = "".join(
        (
            _section_input(report),
            _section_comparison(report),
            _section_calibration(report),
            _section_lead_time(report),
            _section_fairness(report),
            _section_methods(report),
            _section_caveats(report),
        )
    )
    return (
        "<!DOCTYPE html>\n<html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(report['title'])}</title><style>{CSS}</style></head><body>"
        f"<div class='marking top'>{marking}</div>"
        f"<h1>{escape(report['title'])}</h1>"
        f"<p class='small'>Généré le {escape(report['generated_at'])} · mode "
        f"{escape(report['mode'])}</p>"
        f"<div class='notice'><p><strong>{escape(report['notice']['fr'])}</strong></p>"
        f"<p class='small' lang='en'>{escape(report['notice']['en'])}</p></div>"
        f"{body}<div class='marking'>{marking}</div></body></html>\n"
    )


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def write_report(
    report: dict[str, Any], directory: Path, stem: str = "backtest"
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{stem}.json"
    html_path = directory / f"{stem}.html"
    json_path.write_text(
        json.dumps(_clean(report), ensure_ascii=False, indent=2, default=str) + "\n",
        encoding="utf-8",
    )
    html_path.write_text(render_html(_clean(report)), encoding="utf-8")
    return json_path, html_path
