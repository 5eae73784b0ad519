"""The Campaigns screen's CSV import: upload, preview, mapping, per-row errors, import, viewers."""

from pathlib import Path

from sqlalchemy import func, select

from core.database import session_scope
from db.models import Campaign, MetricsHistory
from tests.ui.conftest import open_page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
BAD_ROWS = (
    "Day,Campaign,Impressions,Clicks,Cost,Conversions,Conv. value\n"
    "2026-10-01,Autumn Push,1000,40,55.10,2,80.00\n"
    "2026-13-45,Autumn Push,1000,40,55.10,2,80.00\n"
    "2026-10-02,Autumn Push,1000,many,55.10,2,80.00\n"
)


def stored_days() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(MetricsHistory))


def campaign_names() -> set[str]:
    with session_scope() as session:
        return set(session.scalars(select(Campaign.name)))


def import_tab(app):
    app.session_state["campaigns_tab"] = "Import CSV"
    return app.run()


def upload(app, name: str, data: bytes):
    app.file_uploader[0].upload(name, data, "text/csv").run()
    return app


def texts(app) -> str:
    return " ".join(str(e.value) for e in [*app.markdown, *app.success, *app.warning, *app.error, *app.info])


def test_a_google_ads_report_is_previewed_then_imported(admin_app) -> None:
    app = import_tab(open_page(admin_app, "campaigns"))
    assert not app.exception and not _has(app, "import_now")  # nothing to import before a file
    before = stored_days()
    app = upload(app, "report.csv", (FIXTURES / "google_ads_campaign_report.csv").read_bytes())
    assert not app.exception
    assert "**Google Ads report**" in texts(app) and "campaign-days" in texts(app)
    assert [m.label for m in app.metric] == ["Impressions", "Clicks", "Conversions", "Spend", "Revenue"]
    plans = app.dataframe[-1].value
    assert set(plans["Goes to"]) == {"a new campaign"} and plans["Spend"].str.startswith("$").all()
    assert stored_days() == before  # a preview writes nothing

    button = app.button(key="import_now")
    assert button.label.startswith("Import ") and not button.disabled
    button.click().run()
    assert not app.exception
    assert any(m.value.startswith("Imported ") for m in app.success)
    assert stored_days() > before
    assert set(plans["Campaign"]) <= campaign_names()
    assert not app.file_uploader[0].value  # ready for the next file


def _has(app, key: str) -> bool:
    return any(b.key == key for b in app.button)


def test_an_unknown_csv_is_imported_with_a_column_mapping(admin_app) -> None:
    app = import_tab(open_page(admin_app, "campaigns"))
    app = upload(app, "kampagnen.csv", (FIXTURES / "kampagnen_export_de.csv").read_bytes())
    assert not app.exception
    assert "Nothing was imported: the file found no header row" in " ".join(e.value for e in app.error)
    assert not _has(app, "import_now")
    mapping = {
        "Datum": "date",
        "Kampagne": "campaign",
        "Impressionen": "impressions",
        "Klicks": "clicks",
        "Kosten": "spend",
        "Umsatz": "revenue",
    }
    for box in app.selectbox:
        if box.key.startswith("import_map_") and box.label in mapping:
            box.set_value(mapping[box.label])
    app.selectbox(key="import_platform").set_value("google_ads").run()
    assert not app.exception
    assert "semicolon-separated" in " ".join(c.value for c in app.caption)
    app.button(key="import_now").click().run()
    assert any(m.value.startswith("Imported ") for m in app.success)
    assert {"Herbst Sale", "Neukunden Suche"} <= campaign_names()


def test_bad_rows_are_listed_and_nothing_can_be_imported(admin_app) -> None:
    app = import_tab(open_page(admin_app, "campaigns"))
    before, names = stored_days(), campaign_names()
    app = upload(app, "bad.csv", BAD_ROWS.encode())
    assert not app.exception
    assert "2 bad row(s): nothing can be imported until the file is fixed." in [e.value for e in app.error]
    problems = next(d.value for d in app.dataframe if "Problem" in d.value.columns)
    assert problems[["Line", "Column", "Value"]].values.tolist() == [
        [3, "Day", "2026-13-45"],
        [4, "Clicks", "many"],
    ]
    assert not _has(app, "import_now")
    assert (stored_days(), campaign_names()) == (before, names)


def test_a_viewer_may_preview_but_not_import(viewer_app) -> None:
    app = import_tab(open_page(viewer_app, "campaigns"))
    app = upload(app, "plain.csv", (FIXTURES / "plain_us_dates.csv").read_bytes())
    assert not app.exception
    assert app.button(key="import_now").disabled
    assert "view-only access" in " ".join(c.value for c in app.caption)
