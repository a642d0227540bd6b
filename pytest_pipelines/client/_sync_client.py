"""The synchronous Pipelines client.

GENERATED from ``_async_client.py`` by ``python -m pytest_pipelines.client._codegen``.
Do not edit by hand: edit the async client and regenerate.
"""

from __future__ import annotations

from collections.abc import (
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any, cast

import httpx

from pytest_pipelines._secret import secret
from pytest_pipelines.client._base import (
    BUNDLE_SECTIONS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_SYNC_SLEEP,
    DEFAULT_WAIT_TIMEOUT,
    NOT_GIVEN,
    BaseClient,
    Clock,
    Deadline,
    FileInput,
    Id,
    NotGiven,
    Pager,
    Payload,
    SyncSleep,
    artifact_bundle_template,
    artifact_label,
    body,
    check_export_format,
    checked,
    confirm_body,
    created_id,
    empty_summary,
    experiment_keys,
    file_part,
    form_fields,
    is_terminal,
    logger,
    mark_read_body,
    page_params,
    q,
    split_route_key,
    validate_bundle,
)
from pytest_pipelines.client._models import (
    create_tasks_errors,
    criterion_errors,
    experiment_errors,
)
from pytest_pipelines.client._polls import PollPlan, durations_of, run_size
from pytest_pipelines.client._polls import run_key as polls_run_key
from pytest_pipelines.client._transport import DeferredTLSTransport, own_client_options
from pytest_pipelines.types import (
    AuthStatus,
    BundleSummary,
    ConfigurableFields,
    CreateTasksResult,
    CreationMode,
    Criterion,
    Dataset,
    Evaluation,
    ExperimentCreated,
    ExperimentStatus,
    Health,
    JobCreated,
    JobStatus,
    MarkReadResult,
    Notification,
    Organization,
    Project,
    Prompt,
    Task,
    ToolBinding,
    ToolCallHistory,
    ToolCorrectnessResult,
    ToolEndpoint,
    ToolGroundTruth,
    UnreadCount,
    User,
    Workflow,
)


class PipelinesClient(BaseClient):
    """Synchronous client for the Pipelines API.

    :param api_key: the API key; default ``PIPELINES_API_KEY``. Required.
    :param base_url: default ``PIPELINES_BASE_URL``, then ``PIPELINES_ENV``
        (``production`` | ``local`` | a URL), then ``https://api.pipelines.tech``.
    :param timeout: per-request timeout in seconds (``None`` = no timeout). Not given: 30, or
        an injected ``http_client``'s own timeout; given, it wins over the injected client's.
    :param max_retries: retries of a retryable request (default 2).
    :param http_client: an ``httpx.Client`` to send requests with (tests and the local
        backend inject transports this way). The caller keeps ownership: ``close()`` does
        not close it.
    :param sleep: the sleep used between retries and polls (default ``time.sleep``).
    :param clock: the monotonic clock used by waiters (default ``time.monotonic``).
    """

    _http: httpx.Client

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        sleep: SyncSleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        api_key = secret(api_key)  # masked in -l tracebacks of this frame
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            clock=clock,
            http_client=http_client,
        )
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(
                timeout=self.timeout,
                **own_client_options(self.base_url, DeferredTLSTransport),
            )
        )
        self._sleep: SyncSleep = sleep or DEFAULT_SYNC_SLEEP

    def __enter__(self) -> PipelinesClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close this client; safe to call twice.

        The HTTP client is closed only when this client created it (an injected
        ``http_client`` stays open for its owner). Requests after ``close()`` raise
        :class:`ClientClosedError`.
        """
        self._closed = True
        self._end_debug_logging()
        if self._owns_http and not self._http.is_closed:
            self._http.close()

    # -- the I/O core -------------------------------------------------------------------------

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with retries; return a 2xx response or raise the typed error."""
        self._check_open()
        attempt = 0
        while True:
            started = self._clock()
            try:
                response = self._http.send(request, stream=stream)
            except httpx.RequestError as exc:  # transport errors, and e.g. a bad gzip body
                delay = (
                    self._retry_plan(request, None, attempt)
                    if isinstance(exc, httpx.TransportError)
                    else None
                )
                if delay is None:
                    raise self._transport_error(request, exc) from exc
                self._log_retry(request, type(exc).__name__, attempt, delay)
                attempt += 1
                self._sleep(delay)
                continue
            self._log_response(request, response, started)
            if response.is_success:
                return response
            delay = self._retry_plan(request, response, attempt)
            if delay is not None:
                response.close()
                self._log_retry(request, f"HTTP {response.status_code}", attempt, delay)
                attempt += 1
                self._sleep(delay)
                continue
            try:
                response.read()  # a streamed error body is read here
            except httpx.RequestError as exc:
                raise self._transport_error(request, exc, reading=True) from exc
            finally:
                response.close()
            raise self._api_error(request, response)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and return its decoded JSON body (``None`` when empty).

        :param path: a path starting with ``/api/`` (or an absolute URL).
        :param idempotency_key: sent as ``Idempotency-Key``; makes a POST retryable.
        """
        request = self._build_request(
            method, path, params=params, json=json, idempotency_key=idempotency_key, headers=headers
        )
        response = self._send(request)
        return self._decode(request, response)

    def request_bytes(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> bytes:
        """Send one request and return the raw body (``Accept: */*``)."""
        request = self._build_request(method, path, params=params, accept="*/*")
        response = self._send(request)
        return response.content

    def request_stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[bytes]:
        """Yield the response body in chunks as they arrive."""
        request = self._build_request(
            method, path, params=params, json=json, accept="*/*", headers=headers
        )
        response = self._send(request, stream=True)
        try:
            yield from response.iter_bytes()
        except httpx.RequestError as exc:  # the connection broke mid-body
            raise self._transport_error(request, exc, reading=True) from exc
        finally:
            response.close()

    def stream_lines(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[str]:
        """Yield decoded text lines as they arrive (NDJSON, SSE); line endings stripped."""
        request = self._build_request(
            method, path, params=params, json=json, accept="*/*", headers=headers
        )
        response = self._send(request, stream=True)
        try:
            yield from response.iter_lines()
        except httpx.RequestError as exc:  # the connection broke mid-body
            raise self._transport_error(request, exc, reading=True) from exc
        finally:
            response.close()

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
    ) -> Iterator[Any]:
        """Yield every item of a paginated list, page by page (``page``/``page_size`` params).

        Stops on ``has_more: false``, ``next_page: null``, ``total`` reached, an empty page,
        or after ``max_pages`` pages.
        """
        pager = Pager(path, params, page_size, max_pages)
        while not pager.done:
            page = self.request("GET", path, params=pager.params())
            yield from pager.consume(page)

    def _wait(
        self,
        kind: str,
        job_id: Id,
        fetch: Callable[..., Any],
        poll_interval: float | None,
        timeout: float | None,
        on_status: Callable[[Any], object] | None = None,
        run_key: tuple[str, Id, Id] | None = None,
    ) -> Any:
        """Poll ``fetch`` until terminal; polls are timed by :class:`PollPlan` (``_polls.py``).

        :param run_key: identifies the workflow of a run (default None: not a run): its
            durations time later waits' polls, and its status route may hold polls
            (``fetch(wait=S)``) when the status says it can.
        """
        # checked before polling; a run's wait keeps the poll budget, other jobs the adaptive schedule
        is_run = run_key is not None
        plan = PollPlan(poll_interval, holdable=is_run, budget=is_run)
        deadline = Deadline(kind, job_id, timeout, self._clock)
        durations = durations_of(self) if run_key is not None else None
        key: str | None = None
        started = self._clock()
        params: dict[str, Any] = {}
        if durations is not None and run_key is not None:
            # runs of this workflow whose statuses counted no tasks (the hosted shape, whose
            # routes hold no polls; the first status gives this key again): no poll at the
            # launch, the first comes at the approach's first step to their window
            # (PollPlan.first_sleep), a budget poll saved
            plan.prior = durations.window(polls_run_key(*run_key, None))
            first = deadline.bound(plan.first_sleep(0.0))
            if first > 0:
                self._sleep(first)
        while True:
            status = fetch(**params)
            if on_status is not None:
                on_status(status)
            if durations is not None and key is None and run_key is not None:
                key = polls_run_key(*run_key, run_size(status))
                plan.prior = durations.window(key)
            if is_terminal(status):
                logger.debug("%s %s finished: %s", kind, job_id, status.get("status"))
                if durations is not None and key is not None:
                    durations.record(key, *plan.interval(self._clock() - started))
                return status
            sleep, hold = plan.next_poll(status, self._clock() - started)
            sleep = deadline.next_sleep(sleep, status)
            params = {"wait": round(deadline.bound(hold), 3)} if hold > 0 else {}
            if not params:
                self._sleep(sleep)

    # -- identity -----------------------------------------------------------------------------

    def health(self) -> Health:
        """GET ``/api/health`` (``{"status": "ok"}``)."""
        return cast(Health, self.request("GET", "/api/health"))

    def get_me(self) -> User:
        """GET ``/api/auth/me``: the key's user (at least ``email`` and ``org_id``)."""
        return cast(User, self.request("GET", "/api/auth/me"))

    def whoami(self) -> User:
        """GET ``/api/auth/me`` (same as :meth:`get_me`)."""
        return cast(User, self.request("GET", "/api/auth/me"))

    def auth_status(self) -> AuthStatus:
        """Validate the key with ``GET /api/auth/me``.

        Returns ``{"authenticated": True, "email", "org_id", "base_url"}``. A bad key raises
        :class:`AuthenticationError`; there is no dedicated route.
        """
        me = self.request("GET", "/api/auth/me")
        me = me if isinstance(me, Mapping) else {}
        return AuthStatus(
            authenticated=True,
            email=me.get("email"),
            org_id=me.get("org_id"),
            base_url=self.base_url,
        )

    # -- validated creates --------------------------------------------------------------------

    def create_criterion(self, payload: Payload) -> Criterion:
        """POST ``/api/criteria``; the definition is validated first (``PipelinesConfigError``)."""
        data = checked(payload, criterion_errors, "criterion")
        return cast(Criterion, self.request("POST", "/api/criteria", json=data))

    def create_tasks(
        self, project_id: Id, workflow_id: Id, payload: Payload
    ) -> CreateTasksResult:
        """POST ``.../create-tasks`` (synchronous creation); payload validated first."""
        data = checked(payload, create_tasks_errors, "create-tasks payload")
        return cast(
            CreateTasksResult,
            self.request(
                "POST",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/create-tasks",
                json=data,
            ),
        )

    def create_tasks_async(
        self,
        project_id: Id,
        workflow_id: Id,
        payload: Payload,
        *,
        idempotency_key: str | None = None,
    ) -> JobCreated:
        """POST ``.../seeded-data/create-tasks-async`` -> ``{"job_id"}``; payload validated first."""
        data = checked(payload, create_tasks_errors, "create-tasks payload")
        return cast(
            JobCreated,
            self.request(
                "POST",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/seeded-data/create-tasks-async",
                json=data,
                idempotency_key=idempotency_key,
            ),
        )

    def create_experiment(
        self,
        project_id: Id,
        workflow_id: Id,
        payload: Payload,
        *,
        idempotency_key: str | None = None,
    ) -> ExperimentCreated:
        """POST ``.../experiments`` -> ``{"experiment_id", "status"}``; payload validated first."""
        data = checked(payload, experiment_errors, "experiment payload")
        return cast(
            ExperimentCreated,
            self.request(
                "POST",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/experiments",
                json=data,
                idempotency_key=idempotency_key,
            ),
        )

    def create_test_run(
        self, agent_id: Id, payload: Payload, *, idempotency_key: str | None = None
    ) -> Any:
        """POST ``/api/agents/{agent_id}/test-runs``."""
        return self.request(
            "POST",
            f"/api/agents/{q(agent_id)}/test-runs",
            json=body(payload),
            idempotency_key=idempotency_key,
        )

    # -- bytes, uploads, notifications, files -------------------------------------------------

    def export_dataset(self, dataset_id: Id, format: str = "csv") -> bytes:
        """GET ``/api/datasets/{dataset_id}/export?format=`` -> raw bytes.

        :param format: ``csv`` (default), ``json``, ``zip`` or ``zip-json``; checked first.
        """
        check_export_format(format)
        return self.request_bytes(
            "GET", f"/api/datasets/{q(dataset_id)}/export", params={"format": format}
        )

    def import_dataset_from_file(
        self,
        file: FileInput,
        name: str | None = None,
        description: str | None = None,
        org_id: Id | None = None,
        *,
        filename: str | None = None,
    ) -> Any:
        """POST ``/api/datasets/import/file`` (multipart, field ``file``) -> ``{"job_id", ...}``.

        :param file: a path, bytes, or a binary file object.
        :param filename: the uploaded file name (default: the path's name, else ``upload.csv``).
        """
        request = self._build_request(
            "POST",
            "/api/datasets/import/file",
            files={"file": file_part(file, filename)},
            data=form_fields(name=name, description=description, org_id=org_id),
        )
        response = self._send(request)
        return self._decode(request, response)

    def preview_dataset_import_file(
        self, file: FileInput, *, filename: str | None = None
    ) -> Any:
        """POST ``/api/datasets/import/file/preview`` (multipart, field ``file``)."""
        request = self._build_request(
            "POST", "/api/datasets/import/file/preview", files={"file": file_part(file, filename)}
        )
        response = self._send(request)
        return self._decode(request, response)

    def mark_notifications_read(
        self,
        notification_ids: Sequence[Id] | None = None,
        all: bool = False,
    ) -> MarkReadResult:
        """POST ``/api/notifications/mark-read``; give exactly one of ``notification_ids``/``all``."""
        data = mark_read_body(notification_ids, all)
        return cast(
            MarkReadResult, self.request("POST", "/api/notifications/mark-read", json=data)
        )

    def confirm_project_file_upload(
        self, project_id: Id, file_id: Id, *, size_bytes: int | None = None
    ) -> Any:
        """POST ``.../files/{file_id}/confirm`` with ``{}`` or ``{"size_bytes": N}``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/files/{q(file_id)}/confirm",
            json=confirm_body(size_bytes),
        )

    def delete_project_file(self, project_id: Id, file_id: Id) -> Any:
        """Delete a project file: POST ``.../files/{file_id}/enqueue-gc`` (deletion is async)."""
        return self.request(
            "POST", f"/api/projects/{q(project_id)}/files/{q(file_id)}/enqueue-gc", json={}
        )

    def list_endpoint_tools(self, org_id: Id, endpoint_id: Id) -> list[Any]:
        """The tools discovered on a tool endpoint (its ``tools``; GET of the endpoint)."""
        endpoint = self.request(
            "GET", f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}"
        )
        tools = endpoint.get("tools") if isinstance(endpoint, Mapping) else None
        return list(tools or [])

    # -- waiters ------------------------------------------------------------------------------

    def wait_for_create_tasks(
        self,
        project_id: Id,
        workflow_id: Id,
        job_id: Id,
        *,
        poll_interval: float | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[JobStatus], object] | None = None,
    ) -> JobStatus:
        """Poll a create-tasks job until it is terminal; return its last status.

        :param poll_interval: seconds between polls; ``None`` (default) polls adaptively
            (0.05 s growing x1.5 up to 2 s).
        :param timeout: seconds (default 300; ``None`` waits forever); then
            :class:`PipelinesTimeoutError` naming the job and its last status.
        """

        def fetch(**params: Any) -> Any:
            return self.get_create_tasks_status(project_id, workflow_id, job_id, **params)

        return cast(
            JobStatus,
            self._wait(
                "create-tasks job",
                job_id,
                fetch,
                poll_interval,
                timeout,
                on_status,
                run_key=("tasks", project_id, workflow_id),
            ),
        )

    def wait_for_experiment(
        self,
        project_id: Id,
        workflow_id: Id,
        experiment_id: Id,
        *,
        poll_interval: float | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[ExperimentStatus], object] | None = None,
    ) -> ExperimentStatus:
        """Poll an experiment until it is terminal; return its status (with variants)."""

        def fetch(**params: Any) -> Any:
            return self.get_experiment_status(
                project_id, workflow_id, experiment_id, **params
            )

        return cast(
            ExperimentStatus,
            self._wait(
                "experiment",
                experiment_id,
                fetch,
                poll_interval,
                timeout,
                on_status,
                run_key=("experiment", project_id, workflow_id),
            ),
        )

    def wait_for_dataset_import(
        self,
        job_id: Id,
        *,
        poll_interval: float | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        """Poll a dataset import job until it is terminal."""

        def fetch() -> Any:
            return self.get_dataset_import_job(job_id)

        return cast(
            dict[str, Any],
            self._wait(
                "dataset import job", job_id, fetch, poll_interval, timeout, on_status
            ),
        )

    def wait_for_export_tasks(
        self,
        project_id: Id,
        workflow_id: Id,
        job_id: Id,
        *,
        poll_interval: float | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        """Poll an ``export-tasks-async`` job until it is terminal."""

        def fetch() -> Any:
            return self.get_export_status(project_id, workflow_id, job_id)

        return cast(
            dict[str, Any],
            self._wait("export job", job_id, fetch, poll_interval, timeout, on_status),
        )

    def wait_for_seed(
        self,
        project_id: Id,
        workflow_id: Id,
        job_id: Id,
        *,
        poll_interval: float | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        """Poll a ``seed-from-dataset`` job until it is terminal."""

        def fetch() -> Any:
            return self.get_seed_status(project_id, workflow_id, job_id)

        return cast(
            dict[str, Any],
            self._wait("seed job", job_id, fetch, poll_interval, timeout, on_status),
        )

    def wait_for_dataset_eval(
        self,
        dataset_id: Id,
        job_id: Id,
        *,
        poll_interval: float | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        """Poll a dataset eval run until it is terminal."""

        def fetch() -> Any:
            return self.get_dataset_eval_status(dataset_id, job_id)

        return cast(
            dict[str, Any],
            self._wait("dataset eval run", job_id, fetch, poll_interval, timeout, on_status),
        )

    def wait_for_test_run(
        self,
        test_run_id: Id,
        *,
        poll_interval: float | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        """Poll an agent test run until it is terminal."""

        def fetch() -> Any:
            return self.get_test_run(test_run_id)

        return cast(
            dict[str, Any],
            self._wait("test run", test_run_id, fetch, poll_interval, timeout, on_status),
        )

    # -- artifacts ----------------------------------------------------------------------------

    def artifact_bundle_template(self, kind: str = "prompts") -> dict[str, Any]:
        """A starter bundle for one family: prompts, criteria, evaluations, tool-endpoints,
        tool-bindings, tool-ground-truths or experiments."""
        return artifact_bundle_template(kind)

    def push_prompt_artifact(self, artifact: Payload) -> Prompt:
        """Create one prompt from an artifact (``create_prompt``)."""
        return self.create_prompt(artifact)

    def push_criterion_artifact(self, artifact: Payload) -> Criterion:
        """Create one criterion from an artifact (validated like ``create_criterion``)."""
        return self.create_criterion(artifact)

    def push_evaluation_artifact(self, artifact: Payload) -> Evaluation:
        """Create one evaluation from an artifact (``create_evaluation``)."""
        return self.create_evaluation(artifact)

    def push_tool_endpoint_artifact(self, artifact: Payload) -> ToolEndpoint:
        """Create one tool endpoint; the artifact's ``org_id`` picks the route."""
        org_id, _ = split_route_key(artifact, "org_id")
        return self.create_tool_endpoint(org_id, body(artifact))

    def push_tool_binding_artifact(self, artifact: Payload) -> ToolBinding:
        """Create one tool binding; ``workflow_id`` picks the route and leaves the body."""
        workflow_id, data = split_route_key(artifact, "workflow_id")
        return self.create_tool_binding(workflow_id, data)

    def push_tool_ground_truth_artifact(self, artifact: Payload) -> ToolGroundTruth:
        """Create one tool ground truth; ``workflow_id`` picks the route and leaves the body."""
        workflow_id, data = split_route_key(artifact, "workflow_id")
        return self.create_tool_ground_truth(workflow_id, data)

    def push_experiment_artifact(
        self, artifact: Payload, *, idempotency_key: str | None = None
    ) -> ExperimentCreated:
        """Launch one experiment artifact (``project_id``, ``workflow_id``, ``payload``)."""
        project_id, rest = split_route_key(artifact, "project_id")
        workflow_id, rest = split_route_key(rest, "workflow_id")
        return self.create_experiment(
            project_id, workflow_id, rest.get("payload") or {}, idempotency_key=idempotency_key
        )

    def push_artifact_bundle(
        self, bundle: Payload, idempotency_key_prefix: str | None = None
    ) -> BundleSummary:
        """Validate a whole bundle, then create its artifacts in order.

        Order: prompts, criteria, evaluations, tool endpoints, tool bindings, tool ground truths,
        experiments. Returns ``{"artifact_type", "name", "created": {section: [{"name", "id"}],
        "experiments": [{"name", "experiment_id"}]}}``. With ``idempotency_key_prefix`` each
        experiment is sent with ``Idempotency-Key: <prefix>-<slug of its name>``. Nothing is sent
        when the bundle is invalid; a failure midway leaves earlier artifacts in place.
        """
        data = validate_bundle(bundle)
        keys = experiment_keys(data.get("experiments") or [], idempotency_key_prefix)
        summary = empty_summary(data)
        created = summary["created"]
        for section in BUNDLE_SECTIONS:
            for index, item in enumerate(data.get(section) or []):
                label = artifact_label(item)
                if section == "experiments":
                    key = keys[index]
                    result = self.push_experiment_artifact(item, idempotency_key=key)
                    experiment_id = (
                        result.get("experiment_id") if isinstance(result, Mapping) else None
                    )
                    created[section].append({"name": label, "experiment_id": experiment_id})
                    continue
                result = self._push_one(section, item)
                created[section].append({"name": label, "id": created_id(result)})
        return cast(BundleSummary, summary)

    def _push_one(self, section: str, item: Mapping[str, Any]) -> Any:
        if section == "prompts":
            return self.push_prompt_artifact(item)
        if section == "criteria":
            return self.push_criterion_artifact(item)
        if section == "evaluations":
            return self.push_evaluation_artifact(item)
        if section == "tool_endpoints":
            return self.push_tool_endpoint_artifact(item)
        if section == "tool_bindings":
            return self.push_tool_binding_artifact(item)
        return self.push_tool_ground_truth_artifact(item)

    # -- every other route of routes.tsv: one short method each ------------------------------

    def start_cli_login(self, payload: Payload | None = None) -> Any:
        """POST ``/api/cli-login``."""
        return self.request("POST", "/api/cli-login", json=body(payload))

    def poll_cli_login(self, session_id: Id, **params: Any) -> Any:
        """GET ``/api/cli-login/{session_id}``."""
        return self.request("GET", f"/api/cli-login/{q(session_id)}", params=params)

    def list_prompts(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/prompts``."""
        return self.request(
            "GET", "/api/prompts", params=page_params(page, page_size, params)
        )

    def iter_prompts(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Prompt]:
        """GET ``/api/prompts``."""
        return self.paginate(
            "/api/prompts", params=params, page_size=page_size, max_pages=max_pages
        )

    def create_prompt(self, payload: Payload) -> Prompt:
        """POST ``/api/prompts``."""
        return cast(Prompt, self.request("POST", "/api/prompts", json=body(payload)))

    def get_prompt(self, prompt_id: Id, **params: Any) -> Prompt:
        """GET ``/api/prompts/{prompt_id}``."""
        return cast(
            Prompt, self.request("GET", f"/api/prompts/{q(prompt_id)}", params=params)
        )

    def update_prompt(self, prompt_id: Id, payload: Payload) -> Prompt:
        """PUT ``/api/prompts/{prompt_id}``."""
        return cast(
            Prompt, self.request("PUT", f"/api/prompts/{q(prompt_id)}", json=body(payload))
        )

    def delete_prompt(self, prompt_id: Id) -> Any:
        """DELETE ``/api/prompts/{prompt_id}``."""
        return self.request("DELETE", f"/api/prompts/{q(prompt_id)}")

    def list_criteria(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/criteria``."""
        return self.request(
            "GET", "/api/criteria", params=page_params(page, page_size, params)
        )

    def iter_criteria(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Criterion]:
        """GET ``/api/criteria``."""
        return self.paginate(
            "/api/criteria", params=params, page_size=page_size, max_pages=max_pages
        )

    def get_criterion(self, criterion_id: Id, **params: Any) -> Criterion:
        """GET ``/api/criteria/{criterion_id}``."""
        return cast(
            Criterion, self.request("GET", f"/api/criteria/{q(criterion_id)}", params=params)
        )

    def update_criterion(self, criterion_id: Id, payload: Payload) -> Criterion:
        """PUT ``/api/criteria/{criterion_id}``."""
        return cast(
            Criterion,
            self.request("PUT", f"/api/criteria/{q(criterion_id)}", json=body(payload)),
        )

    def delete_criterion(self, criterion_id: Id) -> Any:
        """DELETE ``/api/criteria/{criterion_id}``."""
        return self.request("DELETE", f"/api/criteria/{q(criterion_id)}")

    def list_evaluations(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/evaluations``."""
        return self.request(
            "GET", "/api/evaluations", params=page_params(page, page_size, params)
        )

    def iter_evaluations(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Evaluation]:
        """GET ``/api/evaluations``."""
        return self.paginate(
            "/api/evaluations", params=params, page_size=page_size, max_pages=max_pages
        )

    def create_evaluation(self, payload: Payload) -> Evaluation:
        """POST ``/api/evaluations``."""
        return cast(Evaluation, self.request("POST", "/api/evaluations", json=body(payload)))

    def get_evaluation(self, evaluation_id: Id, **params: Any) -> Evaluation:
        """GET ``/api/evaluations/{evaluation_id}``."""
        return cast(
            Evaluation,
            self.request("GET", f"/api/evaluations/{q(evaluation_id)}", params=params),
        )

    def update_evaluation(self, evaluation_id: Id, payload: Payload) -> Evaluation:
        """PUT ``/api/evaluations/{evaluation_id}``."""
        return cast(
            Evaluation,
            self.request("PUT", f"/api/evaluations/{q(evaluation_id)}", json=body(payload)),
        )

    def delete_evaluation(self, evaluation_id: Id) -> Any:
        """DELETE ``/api/evaluations/{evaluation_id}``."""
        return self.request("DELETE", f"/api/evaluations/{q(evaluation_id)}")

    def run_dataset_eval(self, dataset_id: Id, payload: Payload) -> Any:
        """POST ``/api/datasets/{dataset_id}/eval-run``."""
        return self.request(
            "POST", f"/api/datasets/{q(dataset_id)}/eval-run", json=body(payload)
        )

    def get_dataset_eval_status(self, dataset_id: Id, job_id: Id, **params: Any) -> Any:
        """GET ``/api/datasets/{dataset_id}/eval-run/{job_id}``."""
        return self.request(
            "GET", f"/api/datasets/{q(dataset_id)}/eval-run/{q(job_id)}", params=params
        )

    def preview_dataset_eval(self, dataset_id: Id, payload: Payload) -> Any:
        """POST ``/api/datasets/{dataset_id}/eval-preview``."""
        return self.request(
            "POST", f"/api/datasets/{q(dataset_id)}/eval-preview", json=body(payload)
        )

    def get_dataset_eval_config(self, dataset_id: Id, **params: Any) -> Any:
        """GET ``/api/datasets/{dataset_id}/eval-config``."""
        return self.request(
            "GET", f"/api/datasets/{q(dataset_id)}/eval-config", params=params
        )

    def list_projects(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/projects``."""
        return self.request(
            "GET", "/api/projects", params=page_params(page, page_size, params)
        )

    def iter_projects(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Project]:
        """GET ``/api/projects``."""
        return self.paginate(
            "/api/projects", params=params, page_size=page_size, max_pages=max_pages
        )

    def get_project(self, project_id: Id, **params: Any) -> Project:
        """GET ``/api/projects/{project_id}``."""
        return cast(
            Project, self.request("GET", f"/api/projects/{q(project_id)}", params=params)
        )

    def create_project(self, payload: Payload) -> Project:
        """POST ``/api/projects``."""
        return cast(Project, self.request("POST", "/api/projects", json=body(payload)))

    def update_project(self, project_id: Id, payload: Payload) -> Project:
        """PUT ``/api/projects/{project_id}``."""
        return cast(
            Project, self.request("PUT", f"/api/projects/{q(project_id)}", json=body(payload))
        )

    def archive_project(self, project_id: Id, payload: Payload | None = None) -> Project:
        """PUT ``/api/projects/{project_id}/archive``."""
        return cast(
            Project,
            self.request("PUT", f"/api/projects/{q(project_id)}/archive", json=body(payload)),
        )

    def unarchive_project(self, project_id: Id, payload: Payload | None = None) -> Project:
        """PUT ``/api/projects/{project_id}/unarchive``."""
        return cast(
            Project,
            self.request(
                "PUT", f"/api/projects/{q(project_id)}/unarchive", json=body(payload)
            ),
        )

    def delete_project(self, project_id: Id) -> Any:
        """DELETE ``/api/projects/{project_id}``."""
        return self.request("DELETE", f"/api/projects/{q(project_id)}")

    def list_workflows(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/workflows``."""
        return self.request(
            "GET", "/api/workflows", params=page_params(page, page_size, params)
        )

    def iter_workflows(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Workflow]:
        """GET ``/api/workflows``."""
        return self.paginate(
            "/api/workflows", params=params, page_size=page_size, max_pages=max_pages
        )

    def list_project_workflows(
        self,
        project_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows",
            params=page_params(page, page_size, params),
        )

    def iter_project_workflows(
        self,
        project_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Workflow]:
        """GET ``/api/projects/{project_id}/workflows``."""
        return self.paginate(
            f"/api/projects/{q(project_id)}/workflows",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_workflow(self, project_id: Id, workflow_id: Id, **params: Any) -> Workflow:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}``."""
        return cast(
            Workflow,
            self.request(
                "GET", f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}", params=params
            ),
        )

    def create_workflow(self, project_id: Id, payload: Payload) -> Workflow:
        """POST ``/api/projects/{project_id}/workflows``."""
        return cast(
            Workflow,
            self.request(
                "POST", f"/api/projects/{q(project_id)}/workflows", json=body(payload)
            ),
        )

    def update_workflow(self, project_id: Id, workflow_id: Id, payload: Payload) -> Workflow:
        """PUT ``/api/projects/{project_id}/workflows/{workflow_id}``."""
        return cast(
            Workflow,
            self.request(
                "PUT",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}",
                json=body(payload),
            ),
        )

    def delete_workflow(self, project_id: Id, workflow_id: Id) -> Any:
        """DELETE ``/api/projects/{project_id}/workflows/{workflow_id}``."""
        return self.request(
            "DELETE", f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}"
        )

    def archive_workflow(
        self, project_id: Id, workflow_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/archive``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/archive",
            json=body(payload),
        )

    def list_org_workflow_templates(
        self, org_id: Id, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/organizations/{org_id}/templates``."""
        return self.request(
            "GET",
            f"/api/organizations/{q(org_id)}/templates",
            params=page_params(page, page_size, params),
        )

    def iter_org_workflow_templates(
        self,
        org_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/organizations/{org_id}/templates``."""
        return self.paginate(
            f"/api/organizations/{q(org_id)}/templates",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_org_workflow_template(self, org_id: Id, template_id: Id, **params: Any) -> Any:
        """GET ``/api/organizations/{org_id}/templates/{template_id}``."""
        return self.request(
            "GET", f"/api/organizations/{q(org_id)}/templates/{q(template_id)}", params=params
        )

    def list_workflow_chains(
        self,
        project_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflow-chains``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflow-chains",
            params=page_params(page, page_size, params),
        )

    def iter_workflow_chains(
        self,
        project_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/projects/{project_id}/workflow-chains``."""
        return self.paginate(
            f"/api/projects/{q(project_id)}/workflow-chains",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_workflow_chain(self, project_id: Id, chain_id: Id, **params: Any) -> Any:
        """GET ``/api/projects/{project_id}/workflow-chains/{chain_id}``."""
        return self.request(
            "GET", f"/api/projects/{q(project_id)}/workflow-chains/{q(chain_id)}", params=params
        )

    def create_workflow_chain(self, project_id: Id, payload: Payload) -> Any:
        """POST ``/api/projects/{project_id}/workflow-chains``."""
        return self.request(
            "POST", f"/api/projects/{q(project_id)}/workflow-chains", json=body(payload)
        )

    def delete_workflow_chain(self, project_id: Id, chain_id: Id) -> Any:
        """DELETE ``/api/projects/{project_id}/workflow-chains/{chain_id}``."""
        return self.request(
            "DELETE", f"/api/projects/{q(project_id)}/workflow-chains/{q(chain_id)}"
        )

    def get_workflow_status(self, project_id: Id, workflow_id: Id, **params: Any) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/status-summary``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/status-summary",
            params=params,
        )

    def get_workflow_llm_analytics(
        self, project_id: Id, workflow_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/llm-analytics``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/llm-analytics",
            params=params,
        )

    def get_creation_mode(
        self, project_id: Id, workflow_id: Id, **params: Any
    ) -> CreationMode:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/creation-mode``."""
        return cast(
            CreationMode,
            self.request(
                "GET",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/creation-mode",
                params=params,
            ),
        )

    def get_configurable_fields(
        self, project_id: Id, workflow_id: Id, **params: Any
    ) -> ConfigurableFields:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/configurable-fields``."""
        return cast(
            ConfigurableFields,
            self.request(
                "GET",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/configurable-fields",
                params=params,
            ),
        )

    def get_my_work(self, project_id: Id, **params: Any) -> Any:
        """GET ``/api/projects/{project_id}/my-work``."""
        return self.request("GET", f"/api/projects/{q(project_id)}/my-work", params=params)

    def iter_my_work(
        self,
        project_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/projects/{project_id}/my-work``."""
        return self.paginate(
            f"/api/projects/{q(project_id)}/my-work",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_my_submissions(self, project_id: Id, **params: Any) -> Any:
        """GET ``/api/projects/{project_id}/my-submissions``."""
        return self.request(
            "GET", f"/api/projects/{q(project_id)}/my-submissions", params=params
        )

    def iter_my_submissions(
        self,
        project_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/projects/{project_id}/my-submissions``."""
        return self.paginate(
            f"/api/projects/{q(project_id)}/my-submissions",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_org_my_work(self, org_id: Id, **params: Any) -> Any:
        """GET ``/api/organizations/{org_id}/my-work``."""
        return self.request("GET", f"/api/organizations/{q(org_id)}/my-work", params=params)

    def iter_org_my_work(
        self,
        org_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/organizations/{org_id}/my-work``."""
        return self.paginate(
            f"/api/organizations/{q(org_id)}/my-work",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_org_my_submissions(self, org_id: Id, **params: Any) -> Any:
        """GET ``/api/organizations/{org_id}/my-submissions``."""
        return self.request(
            "GET", f"/api/organizations/{q(org_id)}/my-submissions", params=params
        )

    def iter_org_my_submissions(
        self,
        org_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/organizations/{org_id}/my-submissions``."""
        return self.paginate(
            f"/api/organizations/{q(org_id)}/my-submissions",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_global_my_work(self, **params: Any) -> Any:
        """GET ``/api/my-work``."""
        return self.request("GET", "/api/my-work", params=params)

    def iter_global_my_work(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Any]:
        """GET ``/api/my-work``."""
        return self.paginate(
            "/api/my-work", params=params, page_size=page_size, max_pages=max_pages
        )

    def get_global_my_submissions(self, **params: Any) -> Any:
        """GET ``/api/my-submissions``."""
        return self.request("GET", "/api/my-submissions", params=params)

    def iter_global_my_submissions(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Any]:
        """GET ``/api/my-submissions``."""
        return self.paginate(
            "/api/my-submissions", params=params, page_size=page_size, max_pages=max_pages
        )

    def get_task(self, project_id: Id, workflow_id: Id, task_id: Id, **params: Any) -> Task:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/tasks/{task_id}``."""
        return cast(
            Task,
            self.request(
                "GET",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/tasks/{q(task_id)}",
                params=params,
            ),
        )

    def get_task_timeline(
        self, project_id: Id, workflow_id: Id, task_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/tasks/{task_id}/timeline``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/tasks/{q(task_id)}/timeline",
            params=params,
        )

    def get_node_history(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/history``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/history",
            params=params,
        )

    def revert_node(
        self,
        project_id: Id,
        workflow_id: Id,
        node_db_id: Id,
        attempt_number: Id,
        payload: Payload | None = None,
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/revert/{attempt_number}``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/revert/{q(attempt_number)}",
            json=body(payload),
        )

    def refresh_prev_node_info(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/refresh-prev-node-info``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/refresh-prev-node-info",
            json=body(payload),
        )

    def get_node_with_linked(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/with-linked``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/with-linked",
            params=params,
        )

    def get_subtask_node(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/subtask``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/subtask",
            params=params,
        )

    def get_subtask_node_view(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/subtask/view``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/subtask/view",
            params=params,
        )

    def submit_subtask(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/submit-subtask``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/submit-subtask",
            json=body(payload),
        )

    def get_review_node(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/review``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/review",
            params=params,
        )

    def get_review_node_view(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/review/view``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/review/view",
            params=params,
        )

    def get_submission_view(self, project_id: Id, node_id: Id, **params: Any) -> Any:
        """GET ``/api/projects/{project_id}/submissions/{node_id}``."""
        return self.request(
            "GET", f"/api/projects/{q(project_id)}/submissions/{q(node_id)}", params=params
        )

    def release_node(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/release``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/release",
            json=body(payload),
        )

    def submit_review(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/submit-review``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/submit-review",
            json=body(payload),
        )

    def admin_edit_subtask(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/admin-edit-subtask``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/admin-edit-subtask",
            json=body(payload),
        )

    def admin_submit_subtask(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/admin-submit-subtask``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/admin-submit-subtask",
            json=body(payload),
        )

    def admin_edit_review(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/admin-edit-review``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/admin-edit-review",
            json=body(payload),
        )

    def admin_inline_edit(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/admin-inline-edit``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/admin-inline-edit",
            json=body(payload),
        )

    def admin_submit_review(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/admin-submit-review``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/admin-submit-review",
            json=body(payload),
        )

    def get_test_run(self, test_run_id: Id, **params: Any) -> Any:
        """GET ``/api/test-runs/{test_run_id}``."""
        return self.request("GET", f"/api/test-runs/{q(test_run_id)}", params=params)

    def get_test_run_task(self, test_run_id: Id, task_id: Id, **params: Any) -> Any:
        """GET ``/api/test-runs/{test_run_id}/tasks/{task_id}``."""
        return self.request(
            "GET", f"/api/test-runs/{q(test_run_id)}/tasks/{q(task_id)}", params=params
        )

    def list_test_runs(
        self, agent_id: Id, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/agents/{agent_id}/test-runs``."""
        return self.request(
            "GET",
            f"/api/agents/{q(agent_id)}/test-runs",
            params=page_params(page, page_size, params),
        )

    def list_agents(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/agents``."""
        return self.request("GET", "/api/agents", params=page_params(page, page_size, params))

    def get_agent_seed_columns(self, agent_id: Id, **params: Any) -> Any:
        """GET ``/api/agents/{agent_id}/seed-columns``."""
        return self.request("GET", f"/api/agents/{q(agent_id)}/seed-columns", params=params)

    def get_agent(self, agent_id: Id, **params: Any) -> Any:
        """GET ``/api/agents/{agent_id}``."""
        return self.request("GET", f"/api/agents/{q(agent_id)}", params=params)

    def create_agent(self, payload: Payload) -> Any:
        """POST ``/api/agents``."""
        return self.request("POST", "/api/agents", json=body(payload))

    def update_agent(self, agent_id: Id, payload: Payload) -> Any:
        """PUT ``/api/agents/{agent_id}``."""
        return self.request("PUT", f"/api/agents/{q(agent_id)}", json=body(payload))

    def publish_agent(self, agent_id: Id, payload: Payload | None = None) -> Any:
        """POST ``/api/agents/{agent_id}/publish``."""
        return self.request("POST", f"/api/agents/{q(agent_id)}/publish", json=body(payload))

    def set_org_credential(self, org_id: Id, credential_type: Id, payload: Payload) -> Any:
        """PUT ``/api/organizations/{org_id}/credentials/{credential_type}``."""
        return self.request(
            "PUT",
            f"/api/organizations/{q(org_id)}/credentials/{q(credential_type)}",
            json=body(payload),
        )

    def get_experiment_status(
        self, project_id: Id, workflow_id: Id, experiment_id: Id, **params: Any
    ) -> ExperimentStatus:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/experiments/{experiment_id}``."""
        return cast(
            ExperimentStatus,
            self.request(
                "GET",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/experiments/{q(experiment_id)}",
                params=params,
            ),
        )

    def cancel_experiment(
        self, project_id: Id, workflow_id: Id, experiment_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/experiments/{experiment_id}/cancel``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/experiments/{q(experiment_id)}/cancel",
            json=body(payload),
        )

    def get_create_tasks_status(
        self, project_id: Id, workflow_id: Id, job_id: Id, **params: Any
    ) -> JobStatus:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/seeded-data/create-tasks-status/{job_id}``."""
        return cast(
            JobStatus,
            self.request(
                "GET",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/seeded-data/create-tasks-status/{q(job_id)}",
                params=params,
            ),
        )

    def cancel_create_tasks(
        self, project_id: Id, workflow_id: Id, job_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/seeded-data/create-tasks-status/{job_id}/cancel``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/seeded-data/create-tasks-status/{q(job_id)}/cancel",
            json=body(payload),
        )

    def seed_from_dataset(self, project_id: Id, workflow_id: Id, payload: Payload) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/seed-from-dataset``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/seed-from-dataset",
            json=body(payload),
        )

    def get_seed_status(
        self, project_id: Id, workflow_id: Id, job_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/seed-data-status/{job_id}``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/seed-data-status/{q(job_id)}",
            params=params,
        )

    def export_tasks(self, project_id: Id, workflow_id: Id, payload: Payload) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/export-tasks``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/export-tasks",
            json=body(payload),
        )

    def export_tasks_async(self, project_id: Id, workflow_id: Id, payload: Payload) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/export-tasks-async``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/export-tasks-async",
            json=body(payload),
        )

    def get_export_status(
        self, project_id: Id, workflow_id: Id, job_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/export-tasks-status/{job_id}``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/export-tasks-status/{q(job_id)}",
            params=params,
        )

    def list_datasets(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/datasets``."""
        return self.request(
            "GET", "/api/datasets", params=page_params(page, page_size, params)
        )

    def iter_datasets(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Dataset]:
        """GET ``/api/datasets``."""
        return self.paginate(
            "/api/datasets", params=params, page_size=page_size, max_pages=max_pages
        )

    def get_dataset(self, dataset_id: Id, **params: Any) -> Dataset:
        """GET ``/api/datasets/{dataset_id}``."""
        return cast(
            Dataset, self.request("GET", f"/api/datasets/{q(dataset_id)}", params=params)
        )

    def get_dataset_content(self, dataset_id: Id, **params: Any) -> Any:
        """GET ``/api/datasets/{dataset_id}/content``."""
        return self.request("GET", f"/api/datasets/{q(dataset_id)}/content", params=params)

    def get_dataset_analytics(self, dataset_id: Id, **params: Any) -> Any:
        """GET ``/api/datasets/{dataset_id}/analytics``."""
        return self.request("GET", f"/api/datasets/{q(dataset_id)}/analytics", params=params)

    def get_chart_fields(self, dataset_id: Id, **params: Any) -> Any:
        """GET ``/api/datasets/{dataset_id}/chart-fields``."""
        return self.request(
            "GET", f"/api/datasets/{q(dataset_id)}/chart-fields", params=params
        )

    def get_chart_field_values(self, dataset_id: Id, field_id: Id, **params: Any) -> Any:
        """GET ``/api/datasets/{dataset_id}/chart-fields/{field_id}/values``."""
        return self.request(
            "GET", f"/api/datasets/{q(dataset_id)}/chart-fields/{q(field_id)}/values", params=params
        )

    def chart_query(self, dataset_id: Id, payload: Payload) -> Any:
        """POST ``/api/datasets/{dataset_id}/chart-query``."""
        return self.request(
            "POST", f"/api/datasets/{q(dataset_id)}/chart-query", json=body(payload)
        )

    def get_dataset_import_job(self, job_id: Id, **params: Any) -> Any:
        """GET ``/api/datasets/import/jobs/{job_id}``."""
        return self.request("GET", f"/api/datasets/import/jobs/{q(job_id)}", params=params)

    def cancel_dataset_import_job(self, job_id: Id, payload: Payload | None = None) -> Any:
        """POST ``/api/datasets/import/jobs/{job_id}/cancel``."""
        return self.request(
            "POST", f"/api/datasets/import/jobs/{q(job_id)}/cancel", json=body(payload)
        )

    def list_models(
        self, org_id: Id, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/orgs/{org_id}/models``."""
        return self.request(
            "GET", f"/api/orgs/{q(org_id)}/models", params=page_params(page, page_size, params)
        )

    def list_agent_versions(
        self, agent_id: Id, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/agents/{agent_id}/versions``."""
        return self.request(
            "GET",
            f"/api/agents/{q(agent_id)}/versions",
            params=page_params(page, page_size, params),
        )

    def list_tool_endpoints(
        self, org_id: Id, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/organizations/{org_id}/tool-endpoints``."""
        return self.request(
            "GET",
            f"/api/organizations/{q(org_id)}/tool-endpoints",
            params=page_params(page, page_size, params),
        )

    def iter_tool_endpoints(
        self,
        org_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[ToolEndpoint]:
        """GET ``/api/organizations/{org_id}/tool-endpoints``."""
        return self.paginate(
            f"/api/organizations/{q(org_id)}/tool-endpoints",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def create_tool_endpoint(self, org_id: Id, payload: Payload) -> ToolEndpoint:
        """POST ``/api/organizations/{org_id}/tool-endpoints``."""
        return cast(
            ToolEndpoint,
            self.request(
                "POST", f"/api/organizations/{q(org_id)}/tool-endpoints", json=body(payload)
            ),
        )

    def get_tool_endpoint(self, org_id: Id, endpoint_id: Id, **params: Any) -> ToolEndpoint:
        """GET ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}``."""
        return cast(
            ToolEndpoint,
            self.request(
                "GET",
                f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}",
                params=params,
            ),
        )

    def update_tool_endpoint(
        self, org_id: Id, endpoint_id: Id, payload: Payload
    ) -> ToolEndpoint:
        """PATCH ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}``."""
        return cast(
            ToolEndpoint,
            self.request(
                "PATCH",
                f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}",
                json=body(payload),
            ),
        )

    def delete_tool_endpoint(self, org_id: Id, endpoint_id: Id) -> Any:
        """DELETE ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}``."""
        return self.request(
            "DELETE", f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}"
        )

    def get_tool_endpoint_binding_count(
        self, org_id: Id, endpoint_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}/binding-count``."""
        return self.request(
            "GET",
            f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}/binding-count",
            params=params,
        )

    def list_tool_endpoint_versions(
        self,
        org_id: Id,
        endpoint_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}/versions``."""
        return self.request(
            "GET",
            f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}/versions",
            params=page_params(page, page_size, params),
        )

    def get_tool_endpoint_usage(self, org_id: Id, endpoint_id: Id, **params: Any) -> Any:
        """GET ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}/usage``."""
        return self.request(
            "GET",
            f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}/usage",
            params=params,
        )

    def refresh_tool_endpoint_tools(
        self, org_id: Id, endpoint_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}/refresh-tools``."""
        return self.request(
            "POST",
            f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}/refresh-tools",
            json=body(payload),
        )

    def test_tool_endpoint(
        self, org_id: Id, endpoint_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/organizations/{org_id}/tool-endpoints/{endpoint_id}/test``."""
        return self.request(
            "POST",
            f"/api/organizations/{q(org_id)}/tool-endpoints/{q(endpoint_id)}/test",
            json=body(payload),
        )

    def list_tool_bindings(
        self,
        workflow_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/workflows/{workflow_id}/tool-bindings``."""
        return self.request(
            "GET",
            f"/api/workflows/{q(workflow_id)}/tool-bindings",
            params=page_params(page, page_size, params),
        )

    def iter_tool_bindings(
        self,
        workflow_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[ToolBinding]:
        """GET ``/api/workflows/{workflow_id}/tool-bindings``."""
        return self.paginate(
            f"/api/workflows/{q(workflow_id)}/tool-bindings",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def create_tool_binding(self, workflow_id: Id, payload: Payload) -> ToolBinding:
        """POST ``/api/workflows/{workflow_id}/tool-bindings``."""
        return cast(
            ToolBinding,
            self.request(
                "POST", f"/api/workflows/{q(workflow_id)}/tool-bindings", json=body(payload)
            ),
        )

    def get_tool_binding(self, workflow_id: Id, binding_id: Id, **params: Any) -> ToolBinding:
        """GET ``/api/workflows/{workflow_id}/tool-bindings/{binding_id}``."""
        return cast(
            ToolBinding,
            self.request(
                "GET",
                f"/api/workflows/{q(workflow_id)}/tool-bindings/{q(binding_id)}",
                params=params,
            ),
        )

    def update_tool_binding(
        self, workflow_id: Id, binding_id: Id, payload: Payload
    ) -> ToolBinding:
        """PATCH ``/api/workflows/{workflow_id}/tool-bindings/{binding_id}``."""
        return cast(
            ToolBinding,
            self.request(
                "PATCH",
                f"/api/workflows/{q(workflow_id)}/tool-bindings/{q(binding_id)}",
                json=body(payload),
            ),
        )

    def delete_tool_binding(self, workflow_id: Id, binding_id: Id) -> Any:
        """DELETE ``/api/workflows/{workflow_id}/tool-bindings/{binding_id}``."""
        return self.request(
            "DELETE", f"/api/workflows/{q(workflow_id)}/tool-bindings/{q(binding_id)}"
        )

    def list_tool_ground_truths(
        self,
        workflow_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/workflows/{workflow_id}/tool-ground-truths``."""
        return self.request(
            "GET",
            f"/api/workflows/{q(workflow_id)}/tool-ground-truths",
            params=page_params(page, page_size, params),
        )

    def iter_tool_ground_truths(
        self,
        workflow_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[ToolGroundTruth]:
        """GET ``/api/workflows/{workflow_id}/tool-ground-truths``."""
        return self.paginate(
            f"/api/workflows/{q(workflow_id)}/tool-ground-truths",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def create_tool_ground_truth(self, workflow_id: Id, payload: Payload) -> ToolGroundTruth:
        """POST ``/api/workflows/{workflow_id}/tool-ground-truths``."""
        return cast(
            ToolGroundTruth,
            self.request(
                "POST", f"/api/workflows/{q(workflow_id)}/tool-ground-truths", json=body(payload)
            ),
        )

    def update_tool_ground_truth(
        self, workflow_id: Id, ground_truth_id: Id, payload: Payload
    ) -> ToolGroundTruth:
        """PUT ``/api/workflows/{workflow_id}/tool-ground-truths/{ground_truth_id}``."""
        return cast(
            ToolGroundTruth,
            self.request(
                "PUT",
                f"/api/workflows/{q(workflow_id)}/tool-ground-truths/{q(ground_truth_id)}",
                json=body(payload),
            ),
        )

    def delete_tool_ground_truth(self, workflow_id: Id, ground_truth_id: Id) -> Any:
        """DELETE ``/api/workflows/{workflow_id}/tool-ground-truths/{ground_truth_id}``."""
        return self.request(
            "DELETE", f"/api/workflows/{q(workflow_id)}/tool-ground-truths/{q(ground_truth_id)}"
        )

    def recommend_tools(self, payload: Payload) -> Any:
        """POST ``/api/tool-ground-truths/recommend``."""
        return self.request("POST", "/api/tool-ground-truths/recommend", json=body(payload))

    def evaluate_tool_correctness(
        self, workflow_id: Id, node_db_id: Id, payload: Payload
    ) -> ToolCorrectnessResult:
        """POST ``/api/workflows/{workflow_id}/tool-ground-truths/nodes/{node_db_id}/evaluate``."""
        return cast(
            ToolCorrectnessResult,
            self.request(
                "POST",
                f"/api/workflows/{q(workflow_id)}/tool-ground-truths/nodes/{q(node_db_id)}/evaluate",
                json=body(payload),
            ),
        )

    def get_tool_call_history(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> ToolCallHistory:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/tool-call-history``."""
        return cast(
            ToolCallHistory,
            self.request(
                "GET",
                f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/tool-call-history",
                params=params,
            ),
        )

    def generate_llm_fields(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/generate-llm-fields``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/generate-llm-fields",
            json=body(payload),
        )

    def regenerate_llm(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/regenerate-llm``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/regenerate-llm",
            json=body(payload),
        )

    def admin_regenerate_llm(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/admin-regenerate-llm``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/admin-regenerate-llm",
            json=body(payload),
        )

    def get_llm_progress(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/llm-progress``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/llm-progress",
            params=params,
        )

    def get_llm_error(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/llm-error``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/llm-error",
            params=params,
        )

    def get_llm_generation_history(
        self, project_id: Id, workflow_id: Id, node_db_id: Id, **params: Any
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/llm-generation-history``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/nodes/{q(node_db_id)}/llm-generation-history",
            params=params,
        )

    def list_dataset_notebooks(
        self,
        dataset_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/datasets/{dataset_id}/notebooks``."""
        return self.request(
            "GET",
            f"/api/datasets/{q(dataset_id)}/notebooks",
            params=page_params(page, page_size, params),
        )

    def iter_dataset_notebooks(
        self,
        dataset_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/datasets/{dataset_id}/notebooks``."""
        return self.paginate(
            f"/api/datasets/{q(dataset_id)}/notebooks",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def get_notebook(self, notebook_id: Id, **params: Any) -> Any:
        """GET ``/api/notebooks/{notebook_id}``."""
        return self.request("GET", f"/api/notebooks/{q(notebook_id)}", params=params)

    def update_notebook(self, notebook_id: Id, payload: Payload) -> Any:
        """PATCH ``/api/notebooks/{notebook_id}``."""
        return self.request("PATCH", f"/api/notebooks/{q(notebook_id)}", json=body(payload))

    def delete_notebook(self, notebook_id: Id) -> Any:
        """DELETE ``/api/notebooks/{notebook_id}``."""
        return self.request("DELETE", f"/api/notebooks/{q(notebook_id)}")

    def save_notebook(self, notebook_id: Id, payload: Payload) -> Any:
        """POST ``/api/notebooks/{notebook_id}/save``."""
        return self.request(
            "POST", f"/api/notebooks/{q(notebook_id)}/save", json=body(payload)
        )

    def preview_notebook(self, notebook_id: Id, payload: Payload | None = None) -> Any:
        """POST ``/api/notebooks/{notebook_id}/preview``."""
        return self.request(
            "POST", f"/api/notebooks/{q(notebook_id)}/preview", json=body(payload)
        )

    def list_workflow_tags(
        self,
        project_id: Id,
        workflow_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/tags``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/tags",
            params=page_params(page, page_size, params),
        )

    def create_workflow_tag(self, project_id: Id, workflow_id: Id, payload: Payload) -> Any:
        """POST ``/api/projects/{project_id}/workflows/{workflow_id}/tags``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/tags",
            json=body(payload),
        )

    def delete_workflow_tag(self, project_id: Id, workflow_id: Id, tag_id: Id) -> Any:
        """DELETE ``/api/projects/{project_id}/workflows/{workflow_id}/tags/{tag_id}``."""
        return self.request(
            "DELETE", f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/tags/{q(tag_id)}"
        )

    def list_task_tags(
        self,
        project_id: Id,
        workflow_id: Id,
        task_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/projects/{project_id}/workflows/{workflow_id}/tasks/{task_id}/tags``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/workflows/{q(workflow_id)}/tasks/{q(task_id)}/tags",
            params=page_params(page, page_size, params),
        )

    def list_organization_select_options(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/select-options/organizations``."""
        return self.request(
            "GET", "/api/select-options/organizations", params=page_params(page, page_size, params)
        )

    def list_project_select_options(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/select-options/projects``."""
        return self.request(
            "GET", "/api/select-options/projects", params=page_params(page, page_size, params)
        )

    def list_role_select_options(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/select-options/roles``."""
        return self.request(
            "GET", "/api/select-options/roles", params=page_params(page, page_size, params)
        )

    def list_project_instructions(
        self,
        project_id: Id,
        *,
        page: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Any:
        """GET ``/api/projects/{project_id}/instructions``."""
        return self.request(
            "GET",
            f"/api/projects/{q(project_id)}/instructions",
            params=page_params(page, page_size, params),
        )

    def iter_project_instructions(
        self,
        project_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """GET ``/api/projects/{project_id}/instructions``."""
        return self.paginate(
            f"/api/projects/{q(project_id)}/instructions",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def create_project_instruction(self, project_id: Id, payload: Payload) -> Any:
        """POST ``/api/projects/{project_id}/instructions``."""
        return self.request(
            "POST", f"/api/projects/{q(project_id)}/instructions", json=body(payload)
        )

    def update_project_instruction(
        self, project_id: Id, instruction_id: Id, payload: Payload
    ) -> Any:
        """PUT ``/api/projects/{project_id}/instructions/{instruction_id}``."""
        return self.request(
            "PUT",
            f"/api/projects/{q(project_id)}/instructions/{q(instruction_id)}",
            json=body(payload),
        )

    def delete_project_instruction(self, project_id: Id, instruction_id: Id) -> Any:
        """DELETE ``/api/projects/{project_id}/instructions/{instruction_id}``."""
        return self.request(
            "DELETE", f"/api/projects/{q(project_id)}/instructions/{q(instruction_id)}"
        )

    def list_notifications(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/notifications``."""
        return self.request(
            "GET", "/api/notifications", params=page_params(page, page_size, params)
        )

    def iter_notifications(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Notification]:
        """GET ``/api/notifications``."""
        return self.paginate(
            "/api/notifications", params=params, page_size=page_size, max_pages=max_pages
        )

    def get_notification(self, notification_id: Id, **params: Any) -> Notification:
        """GET ``/api/notifications/{notification_id}``."""
        return cast(
            Notification,
            self.request("GET", f"/api/notifications/{q(notification_id)}", params=params),
        )

    def get_unread_notification_count(self, **params: Any) -> UnreadCount:
        """GET ``/api/notifications/unread-count``."""
        return cast(
            UnreadCount, self.request("GET", "/api/notifications/unread-count", params=params)
        )

    def request_project_file_upload_url(self, project_id: Id, payload: Payload) -> Any:
        """POST ``/api/projects/{project_id}/files/upload-url``."""
        return self.request(
            "POST", f"/api/projects/{q(project_id)}/files/upload-url", json=body(payload)
        )

    def get_project_file_url(self, project_id: Id, file_id: Id, **params: Any) -> Any:
        """GET ``/api/projects/{project_id}/files/{file_id}/url``."""
        return self.request(
            "GET", f"/api/projects/{q(project_id)}/files/{q(file_id)}/url", params=params
        )

    def enqueue_project_file_gc(
        self, project_id: Id, file_id: Id, payload: Payload | None = None
    ) -> Any:
        """POST ``/api/projects/{project_id}/files/{file_id}/enqueue-gc``."""
        return self.request(
            "POST",
            f"/api/projects/{q(project_id)}/files/{q(file_id)}/enqueue-gc",
            json=body(payload),
        )

    def list_organizations(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/organizations``."""
        return self.request(
            "GET", "/api/organizations", params=page_params(page, page_size, params)
        )

    def iter_organizations(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[Organization]:
        """GET ``/api/organizations``."""
        return self.paginate(
            "/api/organizations", params=params, page_size=page_size, max_pages=max_pages
        )

    def get_organization(self, org_id: Id, **params: Any) -> Organization:
        """GET ``/api/organizations/{org_id}``."""
        return cast(
            Organization,
            self.request("GET", f"/api/organizations/{q(org_id)}", params=params),
        )

    def list_org_users(
        self, org_id: Id, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/organizations/{org_id}/users``."""
        return self.request(
            "GET",
            f"/api/organizations/{q(org_id)}/users",
            params=page_params(page, page_size, params),
        )

    def iter_org_users(
        self,
        org_id: Id,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int | None = None,
        **params: Any,
    ) -> Iterator[User]:
        """GET ``/api/organizations/{org_id}/users``."""
        return self.paginate(
            f"/api/organizations/{q(org_id)}/users",
            params=params,
            page_size=page_size,
            max_pages=max_pages,
        )

    def list_users(
        self, *, page: int | None = None, page_size: int | None = None, **params: Any
    ) -> Any:
        """GET ``/api/users``."""
        return self.request("GET", "/api/users", params=page_params(page, page_size, params))

    def iter_users(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, max_pages: int | None = None, **params: Any
    ) -> Iterator[User]:
        """GET ``/api/users``."""
        return self.paginate("/api/users", params=params, page_size=page_size, max_pages=max_pages)

    def get_user(self, user_id: Id, **params: Any) -> User:
        """GET ``/api/users/{user_id}``."""
        return cast(User, self.request("GET", f"/api/users/{q(user_id)}", params=params))
