"""An MLflow tracking server read over its REST API (/api/2.0/mlflow/), read-only.

Runs are listed with runs/search (run_view_type ALL, so deleted runs are seen and marked; ordered,
paged with page_token); a window since the last sync asks for runs started or ended since then,
and for the deleted ones. New points of metrics Cairn already has come from
metrics/get-history-bulk-interval, one request per metric for up to 100 runs, from the step
Cairn has on; a run whose answer may have been sampled (MLflow returns at most 2,500 points per
run there) and a metric read for the first time go through metrics/get-history, paged (MLflow
answers a whole history there several times faster than through the bulk call). Every failure
becomes a SourceError whose message says what happened.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator

import requests
from django.conf import settings

from .base import Point, RemoteExperiment, RemoteRun, SourceError

API = "/api/2.0/mlflow/"
SEARCH_PAGE = 1000
HISTORY_PAGE = 25000
BULK_RUNS = 100  # MLflow's limit of run ids in one bulk history request
BULK_POINTS = 2500  # MLflow's most points per run in one bulk answer; more are sampled


def _number(value) -> float:
    # MLflow's JSON spells non-finite values as strings.
    return float(value) if value is not None else math.nan


def _point(item: dict) -> Point:
    return Point(
        key=item["key"],
        step=int(item.get("step") or 0),
        timestamp=int(item.get("timestamp") or 0),
        value=_number(item.get("value")),
    )


def remote_run(answer: dict) -> RemoteRun:
    """A RemoteRun from runs/search's or runs/get's JSON for one run."""
    info, data = answer.get("info") or {}, answer.get("data") or {}
    latest = {m["key"]: _point(m) for m in data.get("metrics") or []}
    tags = {t["key"]: t.get("value", "") for t in data.get("tags") or []}
    run_id = info.get("run_id") or info["run_uuid"]
    return RemoteRun(
        run_id=run_id,
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("run_name") or tags.get("mlflow.runName") or run_id,
        status=info.get("status") or "",
        start_time=int(info["start_time"]) if info.get("start_time") is not None else None,
        end_time=int(info["end_time"]) if info.get("end_time") is not None else None,
        lifecycle_stage=info.get("lifecycle_stage") or "active",
        params={p["key"]: p.get("value", "") for p in data.get("params") or []},
        tags=tags,
        last_metric_time=max((p.timestamp for p in latest.values()), default=None),
        metric_keys=tuple(sorted(latest)),
        latest=latest,
    )


class ServerSource:
    """A tracking server at url, with a token (Bearer) or a user name and password (basic)."""

    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        username: str = "",
        password: str = "",
        timeout: float | None = None,
    ):
        self.label = url.rstrip("/")
        self.timeout = timeout or settings.CAIRN_SYNC_TIMEOUT_SECONDS
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "cairn-mlsync"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif username:
            self.session.auth = (username, password)
        # Requests made, for the sync's report; the history ones kept (path, params) for the bench.
        self.requests_made = 0
        self.history_requests: list[tuple[str, dict]] = []

    # --- HTTP ---------------------------------------------------------------------------------

    def call(self, method: str, path: str, *, params=None, body=None, missing_ok=False) -> dict:
        """MLflow's JSON answer to one request, or SourceError saying why there is none."""
        url = f"{self.label}{API}{path}"
        self.requests_made += 1
        try:
            answer = self.session.request(
                method, url, params=params, json=body, timeout=self.timeout
            )
        except requests.Timeout:
            raise SourceError(
                f"The MLflow server at {self.label} did not answer within "
                f"{self.timeout:g} seconds ({path})."
            ) from None
        except requests.RequestException as exc:
            raise SourceError(
                f"Cannot reach the MLflow server at {self.label}: {_why(exc)}."
            ) from None
        return self._read(answer, path, missing_ok)

    def _read(self, answer: requests.Response, path: str, missing_ok: bool) -> dict:
        status = answer.status_code
        if status in (401, 403):
            raise SourceError(
                f"The MLflow server at {self.label} refused the credentials ({status}"
                f"{' Unauthorized' if status == 401 else ' Forbidden'}): check the token, or "
                "the user name and password, and that this user may read the experiments."
            )
        try:
            data = answer.json()
        except (ValueError, json.JSONDecodeError):
            data = None
        message = data.get("message", "") if isinstance(data, dict) else ""
        code = data.get("error_code", "") if isinstance(data, dict) else ""
        if status >= 500:
            raise SourceError(
                f"The MLflow server at {self.label} failed ({status}) on {path}"
                + (f": {message[:300]}" if message else ".")
            )
        if missing_ok and code == "RESOURCE_DOES_NOT_EXIST":
            return {}
        if status >= 400:
            raise SourceError(
                f"The MLflow server at {self.label} refused {path} ({status}"
                f"{' ' + code if code else ''})" + (f": {message[:300]}" if message else ".")
            )
        if not isinstance(data, dict):
            kind = answer.headers.get("Content-Type", "unknown").split(";")[0]
            raise SourceError(
                f"The address {self.label} answered {path} with {kind}, not MLflow's JSON: "
                "is it the tracking server's address?"
            )
        return data

    # --- Source -------------------------------------------------------------------------------

    def experiments(self, wanted: Iterable[str]) -> list[RemoteExperiment]:
        found = []
        for name in wanted:
            answer = {}
            if name.isdigit():
                answer = self.call(
                    "GET", "experiments/get", params={"experiment_id": name}, missing_ok=True
                )
            if not answer:
                answer = self.call(
                    "GET",
                    "experiments/get-by-name",
                    params={"experiment_name": name},
                    missing_ok=True,
                )
            experiment = answer.get("experiment")
            if not experiment:
                raise SourceError(
                    f"The MLflow server at {self.label} has no experiment named or numbered "
                    f"“{name}”."
                )
            found.append(
                RemoteExperiment(
                    experiment_id=str(experiment["experiment_id"]),
                    name=experiment.get("name", name),
                    lifecycle_stage=experiment.get("lifecycle_stage", "active"),
                )
            )
        return found

    def _search(self, experiment_ids: list[str], view: str, filter_: str = "") -> Iterator[dict]:
        token = None
        while True:
            body = {
                "experiment_ids": experiment_ids,
                "run_view_type": view,
                "max_results": SEARCH_PAGE,
                "order_by": ["attributes.start_time ASC", "run_id ASC"],
            }
            if filter_:
                body["filter"] = filter_
            if token:
                body["page_token"] = token
            answer = self.call("POST", "runs/search", body=body)
            yield from answer.get("runs") or []
            token = answer.get("next_page_token")
            if not token:
                return

    def runs(self, experiment_ids: list[str], since: int | None) -> Iterator[RemoteRun]:
        if not experiment_ids:
            return
        if since is None:
            searches = [("ALL", "")]
        else:
            # New runs, runs that ended since (a status changed), and every deleted run (MLflow
            # keeps no time of change that search could filter on).
            searches = [
                ("ALL", f"attributes.start_time >= {int(since)}"),
                ("ALL", f"attributes.end_time >= {int(since)}"),
                ("DELETED_ONLY", ""),
            ]
        seen: set[str] = set()
        for view, filter_ in searches:
            for answer in self._search(experiment_ids, view, filter_):
                run = remote_run(answer)
                if run.run_id not in seen:
                    seen.add(run.run_id)
                    yield run

    def runs_by_id(self, run_ids: list[str]) -> Iterator[RemoteRun]:
        for run_id in run_ids:
            answer = self.call("GET", "runs/get", params={"run_id": run_id}, missing_ok=True)
            if answer.get("run"):
                yield remote_run(answer["run"])

    def history(self, run: RemoteRun, keys: Iterable[str]) -> dict[str, list[Point]]:
        found = {}
        for key in keys:
            points, token = [], None
            while True:
                params = {"run_id": run.run_id, "metric_key": key, "max_results": HISTORY_PAGE}
                if token:
                    params["page_token"] = token
                self.history_requests.append(("metrics/get-history", dict(params)))
                answer = self.call("GET", "metrics/get-history", params=params)
                points += [_point(m) for m in answer.get("metrics") or []]
                token = answer.get("next_page_token")
                if not token:
                    break
            found[key] = sorted(points, key=lambda p: (p.step, p.timestamp))
        return found

    def histories(
        self, wanted: list[tuple[RemoteRun, dict[str, int | None]]]
    ) -> dict[str, dict[str, list[Point]]]:
        found: dict[str, dict[str, list[Point]]] = {run.run_id: {} for run, _ in wanted}
        # One request per metric for runs read whole, and per metric for runs read from a
        # step on (those nearest in step share a request, whose range covers them all).
        groups: dict[tuple[str, bool], list[tuple[RemoteRun, int | None]]] = {}
        for run, keys in wanted:
            for key, from_step in keys.items():
                groups.setdefault((key, from_step is None), []).append((run, from_step))
        for (key, whole), runs in groups.items():
            if whole:
                # MLflow samples a whole bulk history in SQL with window functions, several
                # times slower than get-history's plain read (bench/mlsync_bench.py): a run's
                # first read of a metric goes through get-history.
                for run, _ in runs:
                    found[run.run_id].update(self.history(run, [key]))
                continue
            runs.sort(key=lambda item: item[1] or 0)
            for start in range(0, len(runs), BULK_RUNS):
                self._bulk(key, runs[start : start + BULK_RUNS], found)
        return found

    def _bulk(self, key: str, runs: list[tuple[RemoteRun, int | None]], found: dict) -> None:
        params: dict = {"run_ids": [run.run_id for run, _ in runs], "metric_key": key}
        params["max_results"] = BULK_POINTS
        starts = [step for _, step in runs]
        if None not in starts:
            ends = [run.latest[key].step for run, _ in runs if key in run.latest]
            params["start_step"] = min(starts)
            params["end_step"] = max([*ends, min(starts)])
        self.history_requests.append(("metrics/get-history-bulk-interval", dict(params)))
        answer = self.call("GET", "metrics/get-history-bulk-interval", params=params)
        points: dict[str, list[Point]] = {run.run_id: [] for run, _ in runs}
        for item in answer.get("metrics") or []:
            if item.get("run_id") in points:
                points[item["run_id"]].append(_point(item))
        for run, _ in runs:
            got = points[run.run_id]
            if len(got) >= BULK_POINTS:
                # Possibly sampled: read this run's metric whole.
                got = self.history(run, [key])[key]
            found[run.run_id][key] = sorted(got, key=lambda p: (p.step, p.timestamp))


def _why(exc: requests.RequestException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "the connection was refused (is the server running, and is the port right?)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name does not resolve"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the HTTPS certificate could not be checked"
    return text[:200]
