"""The entry script: init() loads the model once per worker process, run() scores one
mini-batch of digit files and returns one result row per file."""

import argparse
import os
import pickle

import numpy as np


def init():
    global model
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    args, _ = parser.parse_known_args()
    with open(os.path.join(args.model, "model.pkl"), "rb") as source:
        model = pickle.load(source)


def run(mini_batch):
    result_list = []
    for path in mini_batch:
        pixels = np.loadtxt(path, delimiter=",").reshape(1, -1)
        predicted = int(model.predict(pixels)[0])
        result_list.append(f"{os.path.basename(path)}: {predicted}")
    return result_list
