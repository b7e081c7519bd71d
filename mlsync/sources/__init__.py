"""Where synced runs come from: an MLflow tracking server over REST, or a local MLflow store
(an `mlruns` folder or an `mlflow.db` SQLite file). Each source yields the records of base.py."""
