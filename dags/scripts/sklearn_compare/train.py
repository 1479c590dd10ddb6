"""Train one classifier on the prepared data; save it with its test accuracy."""

import argparse
import json
import os
import pickle

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlpipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--model", choices=["random_forest", "logistic_regression"], required=True)
parser.add_argument("--n-estimators", type=int, default=100)
parser.add_argument("--C", type=float, default=1.0)
parser.add_argument("--out", required=True)
args = parser.parse_args()

train = pd.read_csv(os.path.join(args.data, "train.csv"))
test = pd.read_csv(os.path.join(args.data, "test.csv"))
features = [c for c in train.columns if c != "target"]

if args.model == "random_forest":
    model = RandomForestClassifier(n_estimators=args.n_estimators, random_state=0)
    hyperparameters = {"n_estimators": args.n_estimators}
else:
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=1000))
    hyperparameters = {"C": args.C}
model.fit(train[features], train["target"])
accuracy = accuracy_score(test["target"], model.predict(test[features]))

os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "model.pkl"), "wb") as sink:
    pickle.dump(model, sink)
with open(os.path.join(args.out, "summary.json"), "w") as sink:
    json.dump({"model": args.model, "accuracy": accuracy, **hyperparameters}, sink)

run = Run.get_context()
run.log("accuracy", accuracy)
for name, value in hyperparameters.items():
    run.log(name, value)
print(f"{args.model}: test accuracy {accuracy:.4f}")
