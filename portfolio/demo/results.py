"""The demo's experiment results: files in the shapes real tools write, about each project's own
experiments, imported through the real pipeline and dated over the weeks they took.

Each project's imports carry its success metric (the fraud model's `recall_at_1pct`, the
reproduction's `val_acc`, the router's `macro_f1`), and every file is about that project only.
The files are written from seeded random numbers, so every seed gives the same runs, with
timestamps counted back from the day of seeding: the best-so-far chart and the run tables span
weeks, as a real project's would.
"""

from __future__ import annotations

import datetime
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.utils import timezone

from projects.models import ExperimentImport, Project, Run


@dataclass
class DemoImport:
    """One upload of the demo: its files (name → bytes), when it happened, and its run name."""

    days_ago: int
    files: dict[str, bytes]
    run_name: str = ""


def _curve(rng, steps: int, start: float, end: float, noise: float) -> np.ndarray:
    """A learning curve from start towards end, saturating, with a little noise."""
    shape = 1 - np.exp(-np.linspace(0, 4, steps))
    return start + (end - start) * shape / shape[-1] + rng.normal(0, noise, steps)


def _unix(when: datetime.datetime) -> int:
    return int(when.timestamp())


def _fraud(now: datetime.datetime) -> list[DemoImport]:
    rng = np.random.default_rng(11)
    # 1. The baseline: the rule engine (one point) and a logistic regression, as a long CSV.
    at = now - datetime.timedelta(days=75)
    lines = ["run,metric,step,value,timestamp"]
    for key, value in (("recall_at_1pct", 0.33), ("pr_auc", 0.21)):
        lines.append(f"rules-engine,{key},0,{value},{_unix(at)}")
    epochs = 30
    curves = {
        "val_logloss": _curve(rng, epochs, 0.31, 0.118, 0.002),
        "pr_auc": _curve(rng, epochs, 0.22, 0.37, 0.004),
        "recall_at_1pct": _curve(rng, epochs, 0.25, 0.41, 0.004),
    }
    for key, values in curves.items():
        for step, value in enumerate(values):
            lines.append(f"logreg-baseline,{key},{step},{value:.4f},{_unix(at) + 40 * step}")
    imports = [DemoImport(75, {"baseline_logreg.csv": "\n".join(lines).encode() + b"\n"})]

    # 2 and 3. Optuna sweeps of XGBoost logged to MLflow, exported with search_runs().to_csv().
    for days, features, best in ((56, "base", 0.57), (35, "base+velocity", 0.615)):
        at = now - datetime.timedelta(days=days)
        header = (
            "run_id,experiment_id,status,artifact_uri,start_time,end_time,metrics.recall_at_1pct,"
            "metrics.pr_auc,metrics.val_logloss,params.max_depth,params.learning_rate,"
            "params.n_estimators,params.features,tags.mlflow.runName"
        )
        rows = [header]
        for trial in range(16):
            started = at + datetime.timedelta(minutes=27 * trial)
            recall = best - abs(rng.normal(0, 0.03)) if trial else best
            run_id = f"{days:02d}{trial:02d}" + "a" * 28
            rows.append(
                f"{run_id},2,FINISHED,file:///home/dana/mlruns/2/{run_id}/artifacts,"
                f"{started:%Y-%m-%d %H:%M:%S}+00:00,"
                f"{started + datetime.timedelta(minutes=25):%Y-%m-%d %H:%M:%S}+00:00,"
                f"{recall:.4f},{recall - 0.05 + rng.normal(0, 0.01):.4f},"
                f"{0.11 - (recall - 0.4) / 10:.4f},{int(rng.integers(3, 9))},"
                f"{rng.choice([0.02, 0.05, 0.1])},{int(rng.choice([200, 400, 600]))},{features},"
                f"xgb-{features.replace('+', '-')}-trial{trial:02d}"
            )
        name = "xgb_optuna_sweep.csv" if days == 56 else "xgb_velocity_sweep.csv"
        imports.append(DemoImport(days, {name: "\n".join(rows).encode() + b"\n"}))

    # 4. Five seeds of the chosen configuration, as MLflow's file store (mlruns/, zipped).
    at = now - datetime.timedelta(days=16)
    imports.append(DemoImport(16, {"mlruns.zip": _mlruns_zip(rng, at)}))
    return imports


def _mlruns_zip(rng, at: datetime.datetime) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mlruns/2/meta.yaml", "experiment_id: '2'\nlifecycle_stage: active\n"
                    "name: fraud-final\n")  # fmt: skip
        for seed in range(1, 6):
            run_id = f"{seed:032x}"
            start_ms = _unix(at + datetime.timedelta(minutes=30 * seed)) * 1000
            base = f"mlruns/2/{run_id}"
            zf.writestr(
                f"{base}/meta.yaml",
                f"run_id: {run_id}\nrun_uuid: {run_id}\nrun_name: xgb-final-seed{seed}\n"
                f"experiment_id: '2'\nlifecycle_stage: active\nstart_time: {start_ms}\n"
                f"end_time: {start_ms + 25 * 60_000}\nstatus: 3\nuser_id: dana\n",
            )
            params = {"max_depth": 6, "learning_rate": 0.05, "n_estimators": 400, "seed": seed,
                      "features": "base+velocity", "scale_pos_weight": 30}  # fmt: skip
            for key, value in params.items():
                zf.writestr(f"{base}/params/{key}", str(value))
            zf.writestr(f"{base}/tags/mlflow.runName", f"xgb-final-seed{seed}")
            rounds = np.arange(25, 401, 25)
            final = 0.63 + rng.normal(0, 0.006)
            curves = {
                "recall_at_1pct": _curve(rng, len(rounds), 0.44, final, 0.003),
                "pr_auc": _curve(rng, len(rounds), 0.38, final - 0.05, 0.003),
                "val_logloss": _curve(rng, len(rounds), 0.2, 0.085, 0.001),
            }
            for key, values in curves.items():
                text = "".join(
                    f"{start_ms + i * 90_000} {value:.5f} {step}\n"
                    for i, (step, value) in enumerate(zip(rounds, values, strict=True))
                )
                zf.writestr(f"{base}/metrics/{key}", text)
    return out.getvalue()


def _cifar(now: datetime.datetime) -> list[DemoImport]:
    rng = np.random.default_rng(12)
    epochs = 200

    def trained(final: float) -> tuple[np.ndarray, np.ndarray]:
        acc = np.clip(_curve(rng, epochs, 0.35, final, 0.0004), 0, 1)
        loss = _curve(rng, epochs, 1.9, 0.19 + (0.96 - final), 0.01)
        return acc, loss

    # As the record says: the baseline 94.8% ± 0.1 over 3 seeds, AutoAugment 95.9% ± 0.2.
    imports = []
    # The baseline's three seeds: a Keras CSVLogger file, then TensorBoard downloads.
    acc, loss = trained(0.948)
    rows = ["epoch,acc,loss,val_acc,val_loss"]
    rows += [
        f"{e},{min(1, a + 0.03):.4f},{v - 0.1:.4f},{a:.4f},{v:.4f}"
        for e, (a, v) in enumerate(zip(acc, loss, strict=True))
    ]
    imports.append(DemoImport(62, {"baseline-seed1.csv": "\r\n".join(rows).encode() + b"\r\n"}))
    for seed, days, final in ((2, 58, 0.947), (3, 54, 0.949)):
        acc, _ = trained(final)
        start = _unix(now - datetime.timedelta(days=days))
        rows = ["Wall time,Step,Value"]
        rows += [f"{start + 56 * e}.5,{e},{a:.5f}" for e, a in enumerate(acc)]
        name = f"run-baseline-seed{seed}-tag-val_acc.csv"
        imports.append(DemoImport(days, {name: "\n".join(rows).encode() + b"\n"}))
    # AutoAugment's first seed: a Lightning CSVLogger folder with its hparams.yaml, logged once
    # an epoch with the epoch as its step (`log_metrics(..., step=epoch)`), so that its curve
    # shares the x axis of the other seeds' epochs.
    acc, loss = trained(0.957)
    rows = ["epoch,step,train_loss,val_loss,val_acc"]
    for e in range(epochs):
        rows.append(f"{e},{e},{loss[e] - 0.08:.4f},,")
        rows.append(f"{e},{e},,{loss[e]:.4f},{acc[e]:.4f}")
    hparams = b"lr: 0.1\nbatch_size: 128\nepochs: 200\naugment:\n  policy: autoaugment\n  seed: 1\n"
    folder = "lightning_logs/version_0"
    files = {f"{folder}/metrics.csv": "\n".join(rows).encode() + b"\n"}
    files[f"{folder}/hparams.yaml"] = hparams
    imports.append(DemoImport(40, files, run_name="autoaugment-seed1"))
    # Its two other seeds, as a JSON Lines log written by the training script.
    lines = []
    start = _unix(now - datetime.timedelta(days=27))
    for seed, final in ((2, 0.959), (3, 0.961)):
        acc, loss = trained(final)
        for e in range(epochs):
            point = {"run": f"autoaugment-seed{seed}", "step": e, "val_acc": round(acc[e], 4)}
            point.update(val_loss=round(loss[e], 4), timestamp=start + 56 * e + seed * 3600)
            lines.append(json.dumps(point))
    imports.append(DemoImport(27, {"autoaugment-seeds.jsonl": "\n".join(lines).encode() + b"\n"}))
    return imports


def _router(now: datetime.datetime) -> list[DemoImport]:
    rng = np.random.default_rng(13)
    imports = []
    for days, runs, name in (
        (44, (("tfidf-logreg", 0.74, 1), ("fasttext", 0.77, 5)), "baselines.jsonl"),
        (12, (("distilbert-finetune", 0.83, 4), ("qwen0.5b-lora", 0.872, 4)), "finetunes.jsonl"),
    ):
        start = _unix(now - datetime.timedelta(days=days))
        lines = []
        for run, final, epochs in runs:
            f1 = _curve(rng, epochs, final - 0.12, final, 0.003) if epochs > 1 else [final]
            for step, value in enumerate(f1):
                lines.append(
                    json.dumps({"run": run, "step": step, "macro_f1": round(float(value), 4),
                                "loss": round(1.2 - float(value), 4),
                                "timestamp": start + 600 * step})
                )  # fmt: skip
        imports.append(DemoImport(days, {name: "\n".join(lines).encode() + b"\n"}))
    return imports


# Which results go into which demo project (by the project's title).
DEMO_RESULTS: dict[str, Callable[[datetime.datetime], list[DemoImport]]] = {
    "Real-time card fraud detection": _fraud,
    "Reproducing AutoAugment on CIFAR-10": _cifar,
    "Support ticket router": _router,
}


def seed_results(user, *, now: datetime.datetime | None = None) -> int:
    """Import each demo project's results through the real pipeline (in this process), then
    date each import and its runs when the demo's story has them. A project that has imports
    already is left as it is, so seeding twice adds nothing. Returns the imports made."""
    from projects import imports

    now = now or timezone.now()
    made = 0
    for title, build in DEMO_RESULTS.items():
        project = Project.objects.filter(owner=user, title=title).first()
        if project is None or project.imports.exists():
            continue
        for spec in build(now):
            with tempfile.TemporaryDirectory(prefix="cairn-demo-") as folder:
                uploads, handles = [], []
                for name, data in spec.files.items():
                    path = Path(folder) / name.replace("/", "_")
                    path.write_bytes(data)
                    handles.append(path.open("rb"))
                    uploads.append(imports.Upload(name, handles[-1], len(data)))
                try:
                    imp, _ = imports.import_create(
                        project=project, user=user, uploads=uploads, run_name=spec.run_name
                    )
                finally:
                    for handle in handles:
                        handle.close()
            imports.import_process(import_id=imp.pk, token=f"seed-{imp.pk}")
            _date(imp.pk, now - datetime.timedelta(days=spec.days_ago))
            made += 1
    return made


def _date(import_id: int, at: datetime.datetime) -> None:
    """The runs as started on the day `at` (when their file gives no time) and the import as
    uploaded that evening, once they had finished."""
    uploaded = at + datetime.timedelta(hours=20)
    ExperimentImport.objects.filter(pk=import_id).update(
        created_at=uploaded,
        started_at=uploaded + datetime.timedelta(seconds=2),
        finished_at=uploaded + datetime.timedelta(seconds=5),
    )
    Run.objects.filter(experiment_import_id=import_id, started_at__isnull=True).update(
        started_at=at
    )
