"""The gunicorn stress target: a Flask app whose /work/N builds a known body."""
import os

from flask import Flask, Response

import http_work

app = Flask(__name__)


@app.route("/work/<int:n>")
def work(n):
    return Response(http_work.body(n), mimetype="application/json", headers={"X-Worker": str(os.getpid())})
