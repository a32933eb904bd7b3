"""First in MIDDLEWARE: answers the probes and the metrics, and times and tags every other request.

/healthz, /readyz and /metrics are answered here, before SecurityMiddleware and CommonMiddleware, so
that a load balancer or Prometheus reaching the process by its IP address is neither refused by
ALLOWED_HOSTS nor redirected to HTTPS (SECURE_REDIRECT_EXEMPT names them too, should this middleware
move). None needs a login or a session, and no body holds a secret. Other requests get a request id
(the caller's X-Request-ID if it is a plain token, else a new one), bound to their log lines and
echoed in the response, and their latency is counted under the name of the view that answered.
The request id stays bound until the request_finished signal (monitoring.apps), so that Django's
own line about a 4xx or 5xx answer, written after the middleware returns, carries it too.
"""

import hmac
import logging
import re
import time
import uuid

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.cache import add_never_cache_headers
from prometheus_client.core import GaugeMetricFamily

from monitoring.logs import log_context_bind, log_context_clear
from monitoring.metrics import metrics_render, request_observed
from monitoring.readiness import readiness_report
from sync.states import seller_accounts_by_sync_state

logger = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNRESOLVED = "<unresolved>"
"""The view label of a request no URL pattern matched (a 404 of an unknown path)."""
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def healthz(request) -> HttpResponse:
    """The process answers; nothing else is checked (a liveness probe must not fail with a dependency)."""
    return JsonResponse({"status": "ok"})


def readyz(request) -> HttpResponse:
    """200 when every check of monitoring.readiness passes, else 503 naming the failing ones.

    A 503 is logged here, once, at WARNING with the failing checks (an orchestrator asks every few
    seconds: not an error each time), and marked logged so that django.request does not log it again
    at ERROR."""
    ready, body = readiness_report()
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        logger.warning("Not ready: %s", "; ".join(
            f"{name}: {body['checks'][name]['detail']}" for name in body["failing"]
        ))
        response._has_been_logged = True
    return response


class SellerAccountStates:
    def collect(self):
        family = GaugeMetricFamily("casetracker_seller_accounts", "Seller accounts in each sync state.",
                                   labels=["state"])
        for state, count in seller_accounts_by_sync_state().items():
            family.add_metric([state], count)
        yield family


def metrics(request) -> HttpResponse:
    """Prometheus text for a bearer of METRICS_TOKEN; 404 when no token is configured, 401 otherwise."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse("A bearer token is required", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_render(collectors=[SellerAccountStates()]), content_type=PROMETHEUS_CONTENT_TYPE)


ANSWERED_HERE = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class MonitoringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = ANSWERED_HERE.get(request.path_info)
        if answer is not None:
            return self._answer(answer, request)
        given = request.headers.get("X-Request-ID", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        started = time.monotonic()
        log_context_clear()
        log_context_bind(request_id=request_id)
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        request_observed(view=match.view_name if match else UNRESOLVED, method=request.method,
                         seconds=time.monotonic() - started)
        response["X-Request-ID"] = request_id
        return response

    @staticmethod
    def _answer(view, request) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = view(request)
        add_never_cache_headers(response)
        return response
