"""The seed's serving stack, for comparison: Flask + a joblib-loaded scikit-learn forest, run
under gunicorn. POST /invocations takes the same body as ours, {"instances": [[4 numbers], ...]},
and answers each row's species and class probabilities (one predict_proba call, as much work
as ours does); GET /ping answers 200.

    MODEL_PATH=model.joblib gunicorn -w 2 -b 127.0.0.1:8081 --chdir bench/seed-flask app:app
"""

import os

import joblib
import numpy as np
from flask import Flask, jsonify, request

saved = joblib.load(os.environ["MODEL_PATH"])
model = saved["model"]
classes = saved["classes"]
app = Flask(__name__)


@app.get("/ping")
def ping():
    return "", 200


@app.post("/invocations")
def invocations():
    payload = request.get_json(force=True, silent=True)
    if not isinstance(payload, dict) or "instances" not in payload:
        return jsonify(error="send {\"instances\": [[4 numbers], ...]}"), 400
    try:
        rows = np.asarray(payload["instances"], dtype=float).reshape(-1, 4)
    except (TypeError, ValueError):
        return jsonify(error="instances must be rows of 4 numbers"), 400
    probabilities = model.predict_proba(rows)
    predictions = [
        {
            "species": classes[int(np.argmax(p))],
            "probabilities": {c: float(x) for c, x in zip(classes, p)},
        }
        for p in probabilities
    ]
    return jsonify(predictions=predictions)
