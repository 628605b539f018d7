"""Drain3 on the Loghub-2k files, for a side-by-side run with telemcp's miner (bench/loghub/run.ts).

Reads a JSON job on stdin: {"datasets": [{"name", "contents": [str, ...]}], "repeat": int}.
Writes JSON on stdout: per dataset the template of each line (Drain3's final template of the
line's cluster, mask tokens rewritten to <*>) and the seconds spent in add_log_message over
`repeat` passes (a fresh miner per pass). Uses TemplateMinerConfig() defaults, as published.
Not part of telemcp's runtime: a peer measurement only.
"""
import json
import re
import sys
import time

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

MASK_TOKEN = re.compile(r"<[A-Z]+>")


def mine(contents):
    config = TemplateMinerConfig()
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    ids = [miner.add_log_message(c)["cluster_id"] for c in contents]
    return miner, ids


def main():
    job = json.load(sys.stdin)
    out = []
    for d in job["datasets"]:
        contents = d["contents"]
        seconds = 0.0
        for _ in range(job.get("repeat", 1)):
            start = time.perf_counter()
            miner, ids = mine(contents)
            seconds += time.perf_counter() - start
        templates = {c.cluster_id: MASK_TOKEN.sub("<*>", c.get_template()) for c in miner.drain.clusters}
        out.append({"name": d["name"], "templates": [templates[i] for i in ids], "seconds": seconds, "lines": len(contents) * job.get("repeat", 1)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
