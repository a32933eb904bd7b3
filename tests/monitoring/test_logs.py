"""Log lines carry the ids of what is being done: tenant, seller account, run, request."""

import json
import logging

import pytest

from monitoring.logs import ContextFilter, JsonFormatter, log_context, log_context_bind, log_context_current
from sync.models import RunKind
from sync.services import account_poll
from tests.worker_helpers import make_sandbox_cases


@pytest.fixture
def context_caplog(caplog):
    """caplog with the ContextFilter of the console handler (settings.LOGGING)."""
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_a_log_line_of_a_poll_carries_tenant_account_and_run_ids(context_caplog, acme_amazon):
    make_sandbox_cases(acme_amazon, 5)

    run = account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)

    record = next(r for r in context_caplog.records if r.name == "sync.services" and "rows" in r.getMessage())
    line = json.loads(JsonFormatter().format(record))
    assert (line["tenant_id"], line["seller_account_id"], line["run_id"]) == (
        acme_amazon.tenant_id, acme_amazon.pk, run.pk
    )
    assert line["level"] == "INFO" and line["logger"] == "sync.services"
    assert log_context_current() == {}, "the poll's ids do not outlive it"


def test_a_log_line_of_a_request_carries_its_request_id(context_caplog, alice_client, acme):
    response = alice_client.get(f"/t/{acme.slug}/cases/999999/", HTTP_X_REQUEST_ID="req-42")

    assert (response.status_code, response["X-Request-ID"]) == (404, "req-42")
    record = next(r for r in context_caplog.records if r.name == "django.request")
    assert json.loads(JsonFormatter().format(record))["request_id"] == "req-42"
    assert log_context_current() == {}


def test_a_request_id_that_is_not_a_plain_token_is_replaced(client, db):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert response["X-Request-ID"] != "bad id\nwith newline" and len(response["X-Request-ID"]) == 32


def test_the_plain_format_appends_the_ids_and_json_leaves_out_the_unset_ones():
    logger = logging.getLogger("tests.monitoring")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "hello %s", ("you",), None)

    with log_context(tenant_id=3, seller_account_id=5):
        log_context_bind(run_id=9)
        ContextFilter().filter(record)

    plain = logging.Formatter("%(message)s%(context)s").format(record)
    assert plain == "hello you tenant_id=3 seller_account_id=5 run_id=9"
    assert json.loads(JsonFormatter().format(record))["run_id"] == 9
    assert "request_id" not in json.loads(JsonFormatter().format(record))


def test_log_context_refuses_an_unknown_field():
    with pytest.raises(TypeError, match="no field password"), log_context(password="x"):
        pass
