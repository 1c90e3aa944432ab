"""A scoring script as Azure ML's docs write them: init() loads the model, run() scores."""

import json
import os

model = None


def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "weights.json")) as handle:
        model = json.load(handle)
    print("model loaded:", model["label"])


def run(raw_data):
    data = json.loads(raw_data)["data"]
    return {"predictions": [x * model["scale"] for x in data], "deployment": os.environ.get("DEPLOYMENT_COLOUR", "")}
