#!/usr/bin/env python3
"""Summarises an executor's push-versus-pull metrics (docs/dispatch.md) from its /metrics text
on stdin: for each way a job was seen first (`dispatch`: the validators' push; `chain`: its
JobSubmitted event at a best head), how many jobs, the mean lead in milliseconds, and how many
best blocks the lead was."""
import re
import sys

count, total, buckets = {}, {}, {}
for line in sys.stdin:
	m = re.match(r'verity_executor_dispatch_lead_seconds_(count|sum)\{first="(\w+)"\} ([0-9.e+-]+)', line)
	if m:
		(count if m.group(1) == "count" else total)[m.group(2)] = float(m.group(3))
	m = re.match(r'verity_executor_dispatch_lead_blocks_bucket\{first="(\w+)",le="([^"]+)"\} ([0-9.e+-]+)', line)
	if m:
		buckets.setdefault(m.group(1), []).append((m.group(2), int(float(m.group(3)))))
parts = []
for first in ("dispatch", "chain"):
	n = int(count.get(first, 0))
	if not n:
		parts.append(f"{first}_first=0")
		continue
	cumulative = dict(buckets.get(first, []))
	same_block = cumulative.get("0", 0)
	one_block = cumulative.get("1", 0) - same_block
	more = n - cumulative.get("1", 0)
	parts.append(
		f"{first}_first={n} mean_lead_ms={total[first] / n * 1000:.1f} "
		f"same_head={same_block} one_block={one_block} more_blocks={more}"
	)
print(" | ".join(parts))
