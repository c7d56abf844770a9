-- A second database for the API's prediction store (MLflow keeps its own in `mlflow`).
CREATE DATABASE churn;
