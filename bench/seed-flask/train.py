"""The seed's model: scikit-learn RandomForestClassifier(n_estimators=100) on Iris, joblib-saved.

    /usr/bin/python3 bench/seed-flask/train.py OUT/model.joblib
"""

import sys

import joblib
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

iris = load_iris()
model = RandomForestClassifier(n_estimators=100, random_state=42)
model.fit(iris.data, iris.target)
joblib.dump({"model": model, "classes": [str(c) for c in iris.target_names]}, sys.argv[1])
