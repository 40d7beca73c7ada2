"""From the runs to the numbers the report shows: min / median / max per
tool, ratios to the untracked run, costs per event, capture size, extra RSS.

Per-event costs are differences of medians divided by the workload's event
count: (tracked - untracked) / events, for
  wall        the measured phase's wall time (what the target waits),
  target CPU  the target process's CPU in the phase (the agent's threads too),
  total CPU   the CPU of the whole run's process tree: target, recorder and
              their start and finish (symbolization, heaptrack_interpret)."""

import statistics

from .tools import HEAPTRACK, LEAKSPY, TOOLS, UNTRACKED


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def median_of(runs, key):
    values = [run[key] for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else None


def summarize_tool(runs):
    ok = [run for run in runs if run["ok"]]
    summary = {
        "runs": len(runs),
        "ok": len(ok),
        "failures": sorted({run["failure"] for run in runs if run["failure"]}),
        "phase_wall_ns": spread([run["phase_wall_ns"] for run in ok]),
        "phase_cpu_ns": spread([run["phase_cpu_ns"] for run in ok]),
        "run_wall_ns": spread([run["run_wall_ns"] for run in ok]),
        "tree_cpu_ns": spread([run["tree_cpu_ns"] for run in ok]),
        "recorder_cpu_ns": spread([run["tree_cpu_ns"] - run["process_cpu_ns"] for run in ok
                                   if run.get("process_cpu_ns") is not None]),
        "peak_rss_kb": spread([run["peak_rss_kb"] for run in ok]),
        "throughput": spread([run.get("throughput") for run in ok]),
        "workload_events": median_of(ok, "events"),
    }
    captures = [run["capture"] for run in ok if run.get("capture")]
    if captures:
        summary["capture"] = {
            "events": median_of(captures, "events"),
            "capture_bytes": median_of(captures, "capture_bytes"),
            "bytes_per_event": median_of(captures, "bytes_per_event"),
            "raw_bytes_per_event": median_of(captures, "raw_bytes_per_event"),
            "dropped_events_max": max((c.get("dropped_events") or 0) for c in captures),
            "unknown_frees": median_of(captures, "unknown_frees"),
            "truncated": any(c.get("truncated") for c in captures),
        }
    return summary


def _median(summary, key):
    value = summary.get(key)
    return value["median"] if value else None


def _difference_per_event(tool, untracked, key, events):
    a, b = _median(tool, key), _median(untracked, key)
    if a is None or b is None or not events:
        return None
    return (a - b) / events


def summarize_workload(workload, runs_by_tool):
    tools = {tool: summarize_tool(runs) for tool, runs in runs_by_tool.items()}
    untracked = tools.get(UNTRACKED)
    # Events: what the workload counted itself (native), else what leakspy
    # recorded (Python cannot count its allocator calls).
    events = untracked["workload_events"] if untracked else None
    events_source = "workload"
    if not events and LEAKSPY in tools and tools[LEAKSPY].get("capture"):
        events = tools[LEAKSPY]["capture"]["events"]
        events_source = "leakspy capture"
    derived = {}
    for tool in (LEAKSPY, HEAPTRACK):
        if tool not in tools or not untracked or not tools[tool]["ok"] or not untracked["ok"]:
            continue
        mine = tools[tool]
        entry = {}
        base_wall = _median(untracked, "phase_wall_ns")
        entry["ratio_to_untracked"] = _median(mine, "phase_wall_ns") / base_wall if base_wall else None
        if workload.kind != "torch":
            entry["ns_per_event_wall"] = _difference_per_event(mine, untracked, "phase_wall_ns", events)
            entry["ns_per_event_target_cpu"] = _difference_per_event(mine, untracked, "phase_cpu_ns", events)
            entry["ns_per_event_total_cpu"] = _difference_per_event(mine, untracked, "tree_cpu_ns", events)
        base_rss = _median(untracked, "peak_rss_kb")
        entry["extra_rss_kb"] = _median(mine, "peak_rss_kb") - base_rss if base_rss is not None else None
        base_throughput = _median(untracked, "throughput")
        if base_throughput:
            entry["throughput_loss_pct"] = (1 - _median(mine, "throughput") / base_throughput) * 100
        derived[tool] = entry
    if LEAKSPY in derived and HEAPTRACK in derived:
        heaptrack_wall = _median(tools[HEAPTRACK], "phase_wall_ns")
        derived["leakspy_to_heaptrack"] = (_median(tools[LEAKSPY], "phase_wall_ns") / heaptrack_wall
                                           if heaptrack_wall else None)
    noise = None
    if untracked and untracked["phase_wall_ns"] and untracked["phase_wall_ns"]["median"]:
        wall = untracked["phase_wall_ns"]
        noise = (wall["max"] - wall["min"]) / wall["median"]
    return {
        "workload": workload.name,
        "group": workload.group,
        "kind": workload.kind,
        "argv": workload.argv,
        "events": events,
        "events_source": events_source,
        "untracked_spread": noise,
        "skipped": dict(workload.skip),
        "heaptrack_raw": workload.heaptrack_raw,
        "tools": tools,
        "derived": derived,
    }


def tools_in(summaries):
    present = set()
    for summary in summaries:
        present.update(summary["tools"])
    return [tool for tool in TOOLS if tool in present]
