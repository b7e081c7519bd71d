"""A WSGI app that reads each request's body and answers `{}` at once: served by gunicorn, it is
the fastest tracking server there can be, and the official client's time against it is the
client's own floor with HTTP included (bench/mlflow_bench.py)."""


def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
