"""The formats Cairn reads, the importer version runs are stamped with, and the one failure."""

from __future__ import annotations

IMPORTER_VERSION = "1.0"

FORMATS: dict[str, str] = {
    "long_csv": "long CSV (run, metric, step, value)",
    "wide_csv": "wide CSV (Keras CSVLogger, Lightning metrics.csv)",
    "tensorboard_csv": "TensorBoard CSV (Wall time, Step, Value)",
    "tensorboard_json": "TensorBoard JSON",
    "wandb_runs": "W&B runs table CSV",
    "wandb_chart": "W&B chart CSV",
    "mlflow_runs_csv": "MLflow runs CSV",
    "mlflow_zip": "MLflow mlruns/ folder (zipped)",
    "jsonl": "JSON Lines",
    "hf_trainer_state": "Hugging Face Trainer trainer_state.json",
    "optuna_trials": "Optuna trials_dataframe() CSV",
    "sklearn_cv_results": "scikit-learn cv_results_ CSV",
}


class ImportFailed(Exception):
    """Input that Cairn cannot import; .message is a sentence to show the user as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def unknown_format(name: str, seen: str) -> ImportFailed:
    """The failure for a file that matches no format: what it saw first, what Cairn reads last.

    The cause leads, so that a list cut short on a small screen never hides it.
    """
    labels = "; ".join(FORMATS.values())
    return ImportFailed(
        f"Cairn could not tell the format of “{name}”. This file looks like: {seen}. "
        f"Choose its format to skip detection; Cairn reads: {labels}."
    )
