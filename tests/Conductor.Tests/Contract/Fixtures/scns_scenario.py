#!/usr/bin/env python3
"""
Drives SCNS-Conductor's own client (scns_client.py, unchanged) against a Conductor API: submit
and wait as API_EXAMPLES.md does, read the output, follow a job's log with the documented
poll-and-diff loop, cancel a running job. Prints one line "RESULT <json>" for the test to check.
Usage: scns_scenario.py BASE_URL UNIQUE_NAME
"""
import json
import sys
import time

from scns_client import SCNSConductorClient

base_url, name = sys.argv[1], sys.argv[2]
client = SCNSConductorClient(base_url)
result = {}

# Example 1 of API_EXAMPLES.md: submit, wait, read the output.
job_id = client.submit_job(
    script='#!/bin/bash\necho "Starting job"\nsleep 1\necho "Job completed"\n',
    name=name, account="my_project", work_dir="/tmp", cpus=1, time_limit="5")
result["final_state"] = client.wait_for_job(job_id, check_interval=1, timeout=120)
result["stdout"], result["stderr"] = client.get_job_output(job_id)
result["query"] = client.query_job(job_id)

# "实时查看作业日志" (live log) of API_EXAMPLES.md, as written, on 20,000 lines written over a few seconds.
live_id = client.submit_job(
    script='#!/bin/bash\nfor i in $(seq 1 4); do seq -f "line %g" $(( (i-1)*5000+1 )) $(( i*5000 )); sleep 1; done\n',
    name=name + "_live", account="my_project", work_dir="/tmp", cpus=1, time_limit="5")
printed = []
last_stdout = ""
while True:
    job_info = client.query_job(live_id)
    state = job_info["state"]
    stdout = job_info["job_log"]["stdout"]
    if stdout != last_stdout:
        printed.append(stdout[len(last_stdout):])
        last_stdout = stdout
    if state in ["COMPLETED", "FAILED", "CANCELLED"]:
        break
    time.sleep(2)
result["live_printed"] = "".join(printed)

# Cancel a running job.
long_id = client.submit_job(script="#!/bin/bash\nsleep 300\n", name=name + "_long", account="my_project",
                            work_dir="/tmp", cpus=1, time_limit="10")
deadline = time.time() + 60
while client.query_job(long_id)["state"] != "RUNNING" and time.time() < deadline:
    time.sleep(0.5)
client.cancel_job(long_id)
result["cancelled_state"] = client.wait_for_job(long_id, check_interval=1, timeout=60)
result["cancel_again_ok"] = True
client.cancel_job(long_id)  # idempotent: a second cancel still answers 200

print("RESULT " + json.dumps(result, ensure_ascii=False))
