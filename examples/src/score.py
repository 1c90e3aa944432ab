"""Scores reviews with the sentiment model (the command the example component runs)."""

import argparse

parser = argparse.ArgumentParser()
for flag in ("--model", "--reviews", "--out"):
    parser.add_argument(flag, required=True)
parser.add_argument("--threshold", type=float, default=0.5)
parser.add_argument("--limit", type=int)
print(parser.parse_args())
