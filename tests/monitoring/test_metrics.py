"""/metrics: refused without the token, and what it counts."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sync.models import RunKind
from sync.services import account_poll
from tests import factories
from tests.worker_helpers import make_sandbox_cases

TOKEN = "metrics-test-token"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def polls_succeeded(samples) -> float:
    return samples.get(("casetracker_polls_total", frozenset({("outcome", "succeeded")})), 0.0)


def test_metrics_are_not_found_when_no_token_is_configured(client, db, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_metrics_refuse_a_request_without_the_bearer_token(client, db, token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert b"casetracker_" not in response.content


def test_metrics_name_every_measure_for_the_token_bearer(client, db, token, own_redis, alice_client):
    alice_client.get("/")

    names = {name for name, _ in scrape(client)}

    assert {
        "casetracker_request_duration_seconds_bucket", "casetracker_queue_depth", "casetracker_seller_accounts",
    } <= names


def test_request_latency_is_labelled_by_view_name_not_by_path(client, db, token, own_redis, alice_client, acme):
    assert alice_client.get(f"/t/{acme.slug}/cases/").status_code == 200

    views = {dict(labels).get("view") for name, labels in scrape(client)
             if name == "casetracker_request_duration_seconds_count"}

    assert "cases:overall" in views, views
    assert not any(view and "/" in view for view in views), "a raw path is never a label"


def test_a_poll_increments_the_poll_counter_and_rows_ingested(client, token, own_redis, acme_amazon):
    make_sandbox_cases(acme_amazon, 10)
    before = scrape(client)

    run = account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)

    after = scrape(client)
    assert polls_succeeded(after) == polls_succeeded(before) + 1
    rows = ("casetracker_rows_ingested_total", frozenset({("kind", "poll"), ("rows", "read")}))
    assert after[rows] == before.get(rows, 0.0) + run.rows_read > 0
    imports = ("casetracker_imports_total", frozenset({("kind", "poll"), ("outcome", "succeeded")}))
    assert after[imports] == before.get(imports, 0.0) + 1


def test_queue_depth_is_read_from_the_broker_per_queue(client, db, token, own_redis):
    own_redis.client().rpush("polls", "one", "two")

    samples = scrape(client)

    assert samples[("casetracker_queue_depth", frozenset({("queue", "polls")}))] == 2
    assert samples[("casetracker_queue_depth", frozenset({("queue", "schedule")}))] == 0


def test_accounts_are_counted_per_sync_state(client, token, own_redis, acme):
    factories.make_seller_account(acme, connected=False)
    factories.make_seller_account(acme, needs_reconnect=True)
    factories.make_seller_account(acme, sync_backend="manual")

    samples = scrape(client)

    def state(name):
        return samples[("casetracker_seller_accounts", frozenset({("state", name)}))]

    assert (state("not_connected"), state("needs_reconnect"), state("not_polled")) == (1, 1, 1)
    assert state("healthy") == 0
