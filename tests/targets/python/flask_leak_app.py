"""Process-tree target: a Flask app for gunicorn whose handler leaks a
10,000-byte buffer per request from one line.
  gunicorn -w 2 -b 127.0.0.1:PORT --chdir tests/targets/python flask_leak_app:app"""
from flask import Flask

app = Flask(__name__)
kept = []


@app.route("/")
def index():
    kept.append(bytearray(10000))  # LEAK
    return "ok\n"
