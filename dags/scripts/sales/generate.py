"""Write a small, reproducible sales table (order, region, product, amount) as sales.csv."""

import argparse
import os

import numpy as np
import pandas as pd

from mlpipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--rows", type=int, default=2000)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

rng = np.random.default_rng(args.seed)
sales = pd.DataFrame(
    {
        "order_id": np.arange(1, args.rows + 1),
        "region": rng.choice(["north", "south", "east", "west"], size=args.rows),
        "product": rng.choice(["widget", "gadget", "gizmo"], size=args.rows),
        "amount": rng.gamma(shape=2.0, scale=15.0, size=args.rows).round(2),
    }
)
os.makedirs(args.out, exist_ok=True)
sales.to_csv(os.path.join(args.out, "sales.csv"), index=False)

Run.get_context().log("sales_rows", len(sales))
print(f"wrote {len(sales)} sales to {args.out}")
