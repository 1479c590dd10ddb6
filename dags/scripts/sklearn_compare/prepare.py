"""Split scikit-learn's breast-cancer data set into train and test CSV files."""

import argparse
import os

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from mlpipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--test-size", type=float, default=0.25)
args = parser.parse_args()

frame = load_breast_cancer(as_frame=True).frame
train, test = train_test_split(
    frame, test_size=args.test_size, random_state=0, stratify=frame["target"]
)
os.makedirs(args.out, exist_ok=True)
train.to_csv(os.path.join(args.out, "train.csv"), index=False)
test.to_csv(os.path.join(args.out, "test.csv"), index=False)

run = Run.get_context()
run.log("train_rows", len(train))
run.log("test_rows", len(test))
print(f"wrote {len(train)} training and {len(test)} test rows to {args.out}")
