"""Artifacts logged by the official MLflow client, unchanged, land on the run's page."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from projects.models import RunArtifact

matplotlib.use("Agg")
import matplotlib.pyplot as plt

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_artifact_figure_dict_and_text_land_on_the_run(as_alice, alice, client, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Baseline\nlr 0.01\n")
    figure, axes = plt.subplots()
    axes.plot([0, 1, 2], [1.0, 0.6, 0.4])
    with mlflow.start_run(run_name="with files") as active:
        mlflow.log_artifact(str(notes))
        mlflow.log_artifact(str(notes), artifact_path="docs")
        mlflow.log_figure(figure, "plots/loss.png")
        mlflow.log_dict({"lr": 0.01, "layers": [64, 32]}, "config.json")
        mlflow.log_text("<b>not markup</b>", "log.txt")
    plt.close(figure)

    stored = {a.path: a for a in RunArtifact.objects.filter(run__live__uuid=active.info.run_id)}
    assert set(stored) == {"notes.md", "docs/notes.md", "plots/loss.png", "config.json", "log.txt"}
    assert stored["plots/loss.png"].kind == "image"
    assert stored["plots/loss.png"].content_type == "image/png"
    assert stored["config.json"].kind == "json"
    assert json.loads(stored["config.json"].file.read()) == {"lr": 0.01, "layers": [64, 32]}

    client.force_login(alice)
    run = stored["log.txt"].run
    page = client.get(run.get_absolute_url()).content.decode()
    assert stored["plots/loss.png"].file_url() in page
    text = client.get(stored["log.txt"].get_absolute_url()).content.decode()
    assert "&lt;b&gt;not markup&lt;/b&gt;" in text


def test_the_client_lists_and_downloads_what_it_logged(as_alice, tmp_path):
    source = tmp_path / "weights.bin"
    source.write_bytes(bytes(range(256)) * 10)
    with mlflow.start_run() as active:
        mlflow.log_artifact(str(source), artifact_path="model")
        mlflow.log_text("done", "summary.txt")
    client = MlflowClient()

    top = client.list_artifacts(active.info.run_id)
    inner = client.list_artifacts(active.info.run_id, "model")
    local = client.download_artifacts(active.info.run_id, "model/weights.bin", str(tmp_path))

    assert [(f.path, f.is_dir) for f in top] == [("model", True), ("summary.txt", False)]
    assert [(f.path, f.file_size) for f in inner] == [("model/weights.bin", 2560)]
    assert Path(local).read_bytes() == source.read_bytes()
    assert mlflow.artifacts.load_text(f"{active.info.artifact_uri}/summary.txt") == "done"


def test_a_file_past_the_limit_is_refused_with_a_message(as_alice, settings, tmp_path):
    settings.CAIRN_MAX_UPLOAD_BYTES = 1000
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 5000)
    # The client raises the HTTP error of the artifact endpoints, with MLflow's error JSON in it.
    with mlflow.start_run(), pytest.raises(requests.HTTPError, match="largest artifact"):
        mlflow.log_artifact(str(big))

    assert not RunArtifact.objects.exists()


def test_someone_elses_run_takes_no_artifact(use_token, alice_token, bob_token, tmp_path):
    use_token(alice_token)
    with mlflow.start_run() as active:
        pass
    use_token(bob_token)
    note = tmp_path / "x.txt"
    note.write_text("hi")

    with pytest.raises((MlflowException, requests.HTTPError), match="not found"):
        MlflowClient().log_artifact(active.info.run_id, str(note))

    assert not RunArtifact.objects.exists()
