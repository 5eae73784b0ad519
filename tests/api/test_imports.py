"""CSV import through the API: a dry run, the import itself, per-row errors, roles and tenants."""

import json

from sqlalchemy import func, select

from db.models import Campaign, MetricsHistory, PlatformCampaign
from tests.api.conftest import Api, serve_on_session, settings_with
from tests.conftest import Tenant

PLAIN = (
    "date,campaign,impressions,clicks,conversions,spend,revenue\n"
    "2026-10-01,Évora Promo,1000,50,2,25.50,80.00\n"
    "2026-10-02,Évora Promo,1200,61,3,30.25,99.90\n"
)
GERMAN = "Datum;Kampagne;Kosten;Klicks;Impressionen\n01.10.2026;Herbst;1.234,50;10;100\n"
BAD_ROWS = (
    "date,campaign,impressions,clicks,conversions,spend,revenue\n"
    "2026-10-01,Fine,1000,50,2,25.50,80.00\n"
    "2026-13-45,Bad date,1000,50,2,25.50,80.00\n"
    "2026-10-02,Negative,1000,50,2,-3.00,80.00\n"
)


def upload(api: Api, login: str, text: str, **form) -> object:
    return api.client.post(
        "/api/v1/imports",
        headers=api.headers(login),
        files={"file": ("export.csv", text.encode(), "text/csv")},
        data=form,
    )


def stored_days(api: Api, tenant: Tenant) -> int:
    return api.session.scalar(
        select(func.count())
        .select_from(MetricsHistory)
        .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
        .where(PlatformCampaign.company_id == tenant.company.id)
    )


def test_a_dry_run_writes_nothing_then_the_import_writes_the_days(api: Api, tenant: Tenant) -> None:
    dry = upload(api, "acme-marketer", PLAIN, platform="tiktok", dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json() | {"notes": []} == {
        "dry_run": True,
        "format": "generic",
        "rows": 2,
        "skipped_rows": 0,
        "campaign_days": 2,
        "first_day": "2026-10-01",
        "last_day": "2026-10-02",
        "campaigns": 1,
        "new_campaigns": ["Évora Promo"],
        "campaigns_created": 0,
        "placements_created": 0,
        "days_written": 0,
        "totals": dry.json()["totals"],
        "notes": [],
    }
    assert dry.json()["totals"]["spend"] == 55.75
    assert stored_days(api, tenant) == 0

    done = upload(api, "acme-marketer", PLAIN, platform="tiktok")
    assert done.status_code == 200, done.text
    assert (done.json()["campaigns_created"], done.json()["days_written"]) == (1, 2)
    assert stored_days(api, tenant) == 2
    again = upload(api, "acme-marketer", PLAIN, platform="tiktok").json()
    assert (again["campaigns_created"], stored_days(api, tenant)) == (0, 2)  # the same days, replaced


def test_a_mapping_reads_any_csv(api: Api, tenant: Tenant) -> None:
    mapping = {
        "Datum": "date",
        "Kampagne": "campaign",
        "Kosten": "spend",
        "Klicks": "clicks",
        "Impressionen": "impressions",
    }
    done = upload(api, "acme-admin", GERMAN, platform="google_ads", mapping=json.dumps(mapping))
    assert done.status_code == 200, done.text
    assert done.json()["totals"]["spend"] == 1234.5
    assert (
        api.session.scalar(select(Campaign.name).where(Campaign.company_id == tenant.company.id)) == "Herbst"
    )


def test_bad_rows_are_a_422_naming_each_row_and_nothing_is_imported(api: Api, tenant: Tenant) -> None:
    for dry_run in ("true", "false"):
        refused = upload(api, "acme-marketer", BAD_ROWS, platform="tiktok", dry_run=dry_run)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "validation_error" and "2 bad row(s)" in error["message"]
        assert [(row["line"], row["column"]) for row in error["details"]["rows"]] == [
            (3, "date"),
            (4, "spend"),
        ]
    assert stored_days(api, tenant) == 0
    assert api.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_bad_options_are_422_and_a_viewer_may_not_import(
    api: Api, tenant: Tenant, other_tenant: Tenant
) -> None:
    for form, field in [
        ({"platform": "myspace"}, "platform"),
        ({"platform": "tiktok", "mapping": "{not json"}, "mapping"),
        ({"platform": "tiktok", "mapping": "[1, 2]"}, "mapping"),
        ({"platform": "tiktok", "mapping": json.dumps({"Cost": "price"})}, "mapping.Cost"),
        ({"platform": "tiktok", "date_format": "%Q"}, "date_format"),
    ]:
        refused = upload(api, "acme-marketer", PLAIN, **form)
        assert refused.status_code == 422, (form, refused.text)
        assert field in refused.json()["error"]["details"]["fields"], refused.json()
    missing = api.client.post(
        "/api/v1/imports", headers=api.headers("acme-marketer"), data={"platform": "tiktok"}
    )
    assert missing.status_code == 422 and "file" in missing.json()["error"]["details"]["fields"]
    assert upload(api, "acme-viewer", PLAIN, platform="tiktok").status_code == 403
    assert upload(api, "acme-viewer", PLAIN, platform="tiktok", dry_run="true").status_code == 403
    upload(api, "globex-admin", PLAIN, platform="tiktok")
    assert stored_days(api, tenant) == 0 and stored_days(api, other_tenant) == 2


def test_uploads_have_their_own_larger_size_limit(
    session, database, tenant: Tenant, other_tenant: Tenant
) -> None:
    settings = settings_with(api_max_body_bytes=2048, api_max_upload_bytes=64 * 1024)
    rows = "".join(
        f"2026-10-{day:02d},Promo {n},1000,50,2,25.50,80.00\n" for day in range(1, 31) for n in range(4)
    )
    text = PLAIN.splitlines(keepends=True)[0] + rows
    assert 2048 < len(text.encode()) < 64 * 1024
    with serve_on_session(session, database, settings=settings) as client:
        api = Api(client, session)
        accepted = upload(api, "acme-marketer", text, platform="tiktok", dry_run="true")
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["rows"] == 120
        too_big = upload(api, "acme-marketer", text * 20, platform="tiktok", dry_run="true")
        assert too_big.status_code == 413
        assert too_big.json()["error"]["details"] == {"max_bytes": 64 * 1024}
