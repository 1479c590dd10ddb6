"""Adds and multiplies two numbers, each given as an argument or read from an input folder;
writes the sum and the product into two output folders and logs them as metrics."""

import argparse
import os

from mlpipelines.azureml.core import Run

parser = argparse.ArgumentParser("calculate")
parser.add_argument("--arg_num1", type=int, help="first number, as a value")
parser.add_argument("--arg_num2", type=int, help="second number, as a value")
parser.add_argument("--file_num1", help="first number, read from this folder")
parser.add_argument("--file_num2", help="second number, read from this folder")
parser.add_argument("--output_sum", required=True, help="folder to write the sum to")
parser.add_argument("--output_product", required=True, help="folder to write the product to")
args = parser.parse_args()


def number(value, folder):
    if value is not None:
        return value
    with open(os.path.join(folder, "number.txt"), encoding="utf-8") as source:
        return int(source.read())


num1 = number(args.arg_num1, args.file_num1)
num2 = number(args.arg_num2, args.file_num2)
for folder, result in ((args.output_sum, num1 + num2), (args.output_product, num1 * num2)):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "number.txt"), "w", encoding="utf-8") as sink:
        sink.write(str(result))
print(f"sum: {num1 + num2}, product: {num1 * num2}")
run = Run.get_context()
run.log("sum", num1 + num2)
run.log("product", num1 * num2)
