"""Drain3 beside telemcp's miner, for side-by-side runs (bench/loghub/run.ts, bench/loghub/e2e.ts).

Without arguments, reads a JSON job on stdin: {"datasets": [{"name", "contents": [str, ...]}],
"repeat": int}, and writes JSON on stdout: per dataset the template of each line (Drain3's final
template of the line's cluster, mask tokens rewritten to <*>) and the seconds spent in
add_log_message over `repeat` passes (a fresh miner per pass).

With `FILE LOG_FORMAT`, mines a log file as a user would: reads it, takes each line's <Content>
with the Loghub header format (as logparser's generate_logformat_regex does), mines the contents,
and writes {"lines", "read_seconds", "mine_seconds", "clusters"}.

Uses TemplateMinerConfig() defaults, as published. Not part of telemcp's runtime: a peer
measurement only.
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


def loghub_format_regex(log_format):
    """logparser's generate_logformat_regex: <Field> is a lazy named group, spaces match any whitespace."""
    pattern = ""
    for i, part in enumerate(re.split(r"(<[^<>]+>)", log_format)):
        if i % 2 == 0:
            pattern += re.sub(" +", r"\\s+", part)
        else:
            pattern += "(?P<%s>.*?)" % part.strip("<>")
    return re.compile("^" + pattern + "$")


def mine_file(path, log_format):
    start = time.perf_counter()
    regex = loghub_format_regex(log_format)
    contents = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            match = regex.match(line)
            contents.append(match.group("Content") if match else line)
    read = time.perf_counter() - start
    start = time.perf_counter()
    miner, _ = mine(contents)
    json.dump({"lines": len(contents), "read_seconds": read, "mine_seconds": time.perf_counter() - start, "clusters": len(miner.drain.clusters)}, sys.stdout)


def main():
    if len(sys.argv) == 3:
        mine_file(sys.argv[1], sys.argv[2])
        return
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
