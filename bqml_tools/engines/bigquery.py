"""The BigQuery engine: rendered SQL run with the official client, values as query parameters."""
from __future__ import annotations

import importlib.util
import re
import time
import warnings
from typing import Any, Mapping

import pandas as pd

from ..core.options import refusal
from ..errors import (READ_LESS, BadQuery, BqmlToolsError, BytesLimitExceeded, DestinationExists, EngineUnavailable,
                      PermissionDenied, QueryError,
                      TableNotFound)
from ..sql.render import Query, as_query
from .base import DryRun

LABELS = {"tool": "bqml_tools"}
# How long one API call (jobs.insert, a poll, a page download) retries transient failures, and so
# how long an unreachable endpoint is tried: the client's default is 10 minutes (and 20 more of job
# retries on top), which looks like a hang. Long jobs are not affected: each poll is its own call,
# and the job itself runs until --timeout.
API_RETRY_DEADLINE = 60.0


def connection_failure(error: BaseException | None) -> bool:
    """Whether ``error`` (or the last error of a RetryError) means the endpoint could not be reached."""
    import requests
    from google.api_core import exceptions as gax
    from google.auth import exceptions as auth

    if isinstance(error, gax.RetryError):
        error = error.cause
    if isinstance(error, requests.exceptions.SSLError):
        return False
    # 502/503/504: what a proxy or load balancer answers when nothing listens behind it
    return isinstance(error, (ConnectionError, requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                              auth.TransportError, gax.ServiceUnavailable, gax.BadGateway, gax.GatewayTimeout))


def _job_should_retry(error: Exception) -> bool:
    """Restart a failed job for the client's transient job reasons, never for an unreachable endpoint."""
    from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

    return not connection_failure(error) and DEFAULT_JOB_RETRY._predicate(error)


def _client_errors() -> tuple[type[BaseException], ...]:
    """What the client raises besides the toolkit's errors: API errors, transport errors, timeouts."""
    import concurrent.futures

    import requests
    from google.api_core import exceptions as gax
    from google.auth import exceptions as auth

    return (gax.GoogleAPIError, auth.TransportError, requests.exceptions.RequestException, ConnectionError,
            concurrent.futures.TimeoutError)


def _parameter(name: str, value: Any) -> Any:
    from google.cloud import bigquery

    if isinstance(value, bool):
        return bigquery.ScalarQueryParameter(name, "BOOL", value)
    if isinstance(value, int):
        return bigquery.ScalarQueryParameter(name, "INT64", value)
    if isinstance(value, float):
        return bigquery.ScalarQueryParameter(name, "FLOAT64", value)
    if isinstance(value, str):
        return bigquery.ScalarQueryParameter(name, "STRING", value)
    if isinstance(value, (list, tuple)):
        kinds = {type(v) for v in value}
        kind = {str: "STRING", int: "INT64", float: "FLOAT64", bool: "BOOL"}.get(kinds.pop() if len(kinds) == 1 else str)
        return bigquery.ArrayQueryParameter(name, kind or "STRING", list(value))
    raise QueryError(f"parameter {name!r} has a value of type {type(value).__name__}, which cannot be bound")


def _type_name(field: Any) -> str:
    """A SchemaField as a GoogleSQL type name (ARRAY<STRUCT<...>> for repeated records)."""
    kind = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}.get(
        field.field_type, field.field_type)
    if kind == "STRUCT":
        kind = "STRUCT<" + ", ".join(f"{f.name} {_type_name(f)}" for f in field.fields) + ">"
    return f"ARRAY<{kind}>" if field.mode == "REPEATED" else kind


def _job_label(template: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", template.lower().removesuffix(".sql"))[:63]


def unreachable(error: BaseException, endpoint: str, deadline: float,
                elapsed: float | None = None) -> EngineUnavailable:
    """A connection failure as one line naming the endpoint, and how long it was tried (``elapsed``,
    measured; the retries may stop before ``deadline`` when the next wait would pass it)."""
    from google.api_core import exceptions as gax

    cause = error.cause if isinstance(error, gax.RetryError) and error.cause is not None else error
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(cause))
    first = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else ""
    reason = errno.group(1).strip() if errno else first or type(cause).__name__
    tried = (f"gave up after retrying for up to {deadline:g} s" if elapsed is None else
             f"gave up after retrying for {elapsed:.1f} s (the limit is {deadline:g} s)")
    return refusal(f"BigQuery endpoint {endpoint} could not be reached ({reason}); {tried}: check "
                   "[[client_options|api-endpoint]], the network or the proxy settings", error=EngineUnavailable)


def translate(error: Exception, query: Query | None = None, job: Any = None) -> QueryError:
    """A google-api-core error as the toolkit's own, with the job id and BigQuery's message."""
    from google.api_core import exceptions as gax

    job_id = getattr(job, "job_id", None) or getattr(error, "job_id", None)
    message = getattr(error, "message", None) or str(error)
    message = message.strip().splitlines()[0] if message.strip() else type(error).__name__
    cause = getattr(error, "cause", None)
    if isinstance(error, gax.RetryError) and cause is not None:
        message = f"{message}; last error: {str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__}"
    reasons = {e.get("reason") for e in (getattr(error, "errors", None) or []) if isinstance(e, dict)}
    where = f" (job {job_id})" if job_id else ""
    what = f"query {query.template}" if query is not None else "query"
    if "bytesBilledLimitExceeded" in reasons or "bytes billed" in message.lower():
        return refusal(f"BigQuery refused {what}{where}: {message}; raise [[max_bytes_billed]] "
                       "or read less: " + READ_LESS, error=BytesLimitExceeded)
    if isinstance(error, gax.Conflict) or "duplicate" in reasons or "already exists" in message.lower():
        return refusal(f"BigQuery: {message} ({what}{where}): pass [[replace=True]] to overwrite it",
                       error=DestinationExists)
    if isinstance(error, gax.NotFound) or "notFound" in reasons:
        return TableNotFound(f"BigQuery: not found in {what}{where}: {message}")
    if isinstance(error, gax.Forbidden) or "accessDenied" in reasons:
        return PermissionDenied(f"BigQuery: permission denied for {what}{where}: {message}")
    if isinstance(error, gax.BadRequest):
        return BadQuery(f"BigQuery rejected {what}{where}: {message}")
    return QueryError(f"BigQuery failed {what}{where}: {message}")


class BigQueryEngine:
    """Runs rendered queries on BigQuery with ``google-cloud-bigquery``.

    ``client`` may be passed in; otherwise one is made from ``project``, ``location`` and
    ``credentials`` the usual way (application default credentials). ``client_options`` (for
    example ``{"api_endpoint": "http://127.0.0.1:9050"}``) points it at an emulator.

    Two clocks: ``timeout`` bounds the job (``job_timeout_ms``, the wait for its result, and restarts
    of a job that failed for a transient reason); ``retry_deadline`` (at most 60 s by default, never
    more than ``timeout``) bounds the retries of one API call, so an unreachable endpoint fails
    within a minute with one line naming it.
    ``max_bytes_billed`` caps the total billed by this engine's jobs (``bytes_billed`` so far): each job
    may bill what the ones before it left, and a job with nothing left is not started.
    """

    dialect = "bigquery"

    def __init__(self, client: Any = None, *, project: str | None = None, location: str | None = None,
                 credentials: Any = None, client_options: Mapping[str, Any] | None = None,
                 max_bytes_billed: int | None = None, timeout: float = 600.0,
                 labels: Mapping[str, str] | None = None, progress: bool = False, priority: str = "INTERACTIVE",
                 use_storage_api: bool = True, retry_deadline: float | None = None) -> None:
        from google.cloud import bigquery

        if client is None:
            from google.auth import exceptions as auth

            try:
                client = bigquery.Client(project=project, location=location, credentials=credentials,
                                         client_options=dict(client_options) if client_options else None)
            except auth.DefaultCredentialsError:
                raise EngineUnavailable(
                    "no BigQuery credentials found: run `gcloud auth application-default login` or set "
                    "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file"
                ) from None
            except OSError as error:  # the client raises OSError when no project can be determined
                raise refusal(f"BigQuery client not created: {error}; pass [[project]]", error=EngineUnavailable) from None
        self.client = client
        self.location = location
        self.max_bytes_billed = max_bytes_billed
        # what this engine's jobs have billed: max_bytes_billed caps their total (a CLI command makes one
        # engine, so --max-bytes-billed caps the command), each job getting what is left
        self.bytes_billed = 0
        self.timeout = timeout
        self.labels = {**LABELS, **(labels or {})}
        if priority not in ("INTERACTIVE", "BATCH"):
            raise BqmlToolsError(f"priority {priority!r} must be INTERACTIVE or BATCH")
        self.priority = priority
        self.progress = progress
        self.use_storage_api = use_storage_api and importlib.util.find_spec("google.cloud.bigquery_storage") is not None
        self.errors = _client_errors()
        self.retry_deadline = min(API_RETRY_DEADLINE if retry_deadline is None else retry_deadline, timeout)
        self.retry = bigquery.DEFAULT_RETRY.with_deadline(self.retry_deadline)
        from google.api_core.retry import Retry

        self.job_retry = Retry(predicate=_job_should_retry, deadline=timeout)
        connection = getattr(client, "_connection", None)
        self.endpoint = getattr(connection, "API_BASE_URL", None) or "https://bigquery.googleapis.com"

    def _failure(self, error: Exception, query: Query, job: Any = None, started: float | None = None) -> Exception:
        """The toolkit's one-line error for anything the client raised (``started``: time.monotonic() when
        the failed call began)."""
        import concurrent.futures

        if connection_failure(error):
            elapsed = None if started is None else time.monotonic() - started
            return unreachable(error, self.endpoint, self.retry_deadline, elapsed)
        if isinstance(error, concurrent.futures.TimeoutError):
            job_id = getattr(job, "job_id", None)
            return refusal(f"BigQuery query {query.template}{f' (job {job_id})' if job_id else ''} did not finish "
                           f"within [[timeout]] {self.timeout:g} s: raise [[timeout]], or give it less work: a sample "
                           "cuts the work after the scan (not the bytes scanned), fewer columns or a "
                           "partition filter cut the scan", error=QueryError)
        return translate(error, query, job)

    def _config(self, query: Query, dry_run: bool = False) -> Any:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            query_parameters=[_parameter(n, v) for n, v in query.params.items()],
            labels={**self.labels, "query": _job_label(query.template)},
            job_timeout_ms=int(self.timeout * 1000),
            dry_run=dry_run,
            use_query_cache=not dry_run,
        )
        if self.priority == "BATCH" and not dry_run:
            config.priority = bigquery.QueryPriority.BATCH
        if self.max_bytes_billed is not None:  # the client would send the string "None"
            left = int(self.max_bytes_billed) - (0 if dry_run else self.bytes_billed)
            if left <= 0:
                raise refusal(
                    f"BigQuery query {query.template} not started: the jobs before it billed {self.bytes_billed:,} "
                    f"bytes, all of [[max_bytes_billed]] {int(self.max_bytes_billed):,} (it caps the command's total): "
                    "raise it, or read less: " + READ_LESS, error=BytesLimitExceeded)
            config.maximum_bytes_billed = left
        return config

    def _billed(self, job: Any) -> None:
        """Count a finished job's bytes billed against max_bytes_billed (the total of this engine's jobs)."""
        billed = getattr(job, "total_bytes_billed", None)
        self.bytes_billed += int(billed) if isinstance(billed, (int, float)) else 0

    def _submit(self, query: Query, dry_run: bool = False) -> Any:
        if query.dialect != self.dialect:
            raise QueryError(f"query {query.template} was rendered for {query.dialect}, not bigquery")
        from google.auth import exceptions as auth

        started = time.monotonic()
        try:
            # job_retry=None here: the client would otherwise wrap jobs.insert in its own 10-minute retry
            # that also retries an unreachable endpoint; failed jobs are restarted in result() instead.
            return self.client.query(query.sql, job_config=self._config(query, dry_run), location=self.location,
                                     retry=self.retry, timeout=self.retry_deadline, job_retry=None)
        except auth.GoogleAuthError as error:
            if connection_failure(error):
                raise self._failure(error, query, started=started) from error
            raise PermissionDenied(f"BigQuery authentication failed for query {query.template}: {error}") from error
        except self.errors as error:
            raise self._failure(error, query, started=started) from error

    def _result(self, job: Any, query: Query) -> Any:
        """Wait for the job (at most ``timeout``), restarting it after transient job failures."""
        started = time.monotonic()
        try:
            return job.result(timeout=self.timeout, retry=self.retry, job_retry=self.job_retry)
        except self.errors as error:
            raise self._failure(error, query, job, started) from error

    def run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run and download: ``result()`` first, so a failed job raises rather than returning nothing.
        ``query``: a rendered Query, or SQL text with named ``params`` (``@name``)."""
        query = as_query(query, self.dialect, params)
        from google.api_core import exceptions as gax

        job = self._submit(query)
        rows = self._result(job, query)
        self._billed(job)
        progress = "tqdm" if self.progress else None
        with warnings.catch_warnings():
            # google-cloud-bigquery 3.4x suggests pandas-gbq instead; to_dataframe is the documented,
            # job-error-safe path after result(), so the suggestion is silenced here only.
            warnings.filterwarnings("ignore", message="Retrieving DataFrames via google-cloud-bigquery",
                                    category=PendingDeprecationWarning)
            if self.use_storage_api:
                try:
                    return rows.to_dataframe(create_bqstorage_client=True, progress_bar_type=progress)
                except (gax.PermissionDenied, gax.Forbidden, gax.ServiceUnavailable, gax.MethodNotImplemented):
                    rows = self._result(job, query)  # fall back to the REST API
            try:
                return rows.to_dataframe(create_bqstorage_client=False, progress_bar_type=progress)
            except self.errors as error:
                raise self._failure(error, query, job) from error

    def dry_run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> DryRun:
        """Validate without running: the result schema and the bytes the query would process."""
        query = as_query(query, self.dialect, params)
        job = self._submit(query, dry_run=True)
        schema = {field.name: _type_name(field) for field in (job.schema or [])}
        processed = job.total_bytes_processed
        return DryRun(schema=schema, bytes_processed=int(processed) if processed is not None else None)

    def execute(self, query: Query) -> Any:
        """Run a statement that returns no rows (DDL); returns the finished job."""
        job = self._submit(query)
        self._result(job, query)
        self._billed(job)
        return job
