"""Train a digit classifier and write the held-out digits as one small CSV file each."""

import argparse
import os
import pickle

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--images")
parser.add_argument("--model")
args = parser.parse_args()

digits = load_digits()
held_out = 300
model = LogisticRegression(max_iter=2000)
model.fit(digits.data[:-held_out], digits.target[:-held_out])
os.makedirs(args.model, exist_ok=True)
with open(os.path.join(args.model, "model.pkl"), "wb") as sink:
    pickle.dump(model, sink)

os.makedirs(args.images, exist_ok=True)
start = len(digits.data) - held_out
for i in range(start, len(digits.data)):
    name = f"digit_{i:04}_label_{digits.target[i]}.csv"
    with open(os.path.join(args.images, name), "w") as sink:
        sink.write(",".join(str(int(v)) for v in digits.data[i]))
print(f"wrote {held_out} digits to {args.images}")
