def init():
    print("loading the model ...")
    raise RuntimeError("the weights file is corrupt")


def run(raw_data):
    return raw_data
