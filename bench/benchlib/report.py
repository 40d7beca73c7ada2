"""The report: tables built once as rows of text, rendered for the terminal
and as markdown (bench/results/latest.md)."""

from .tools import HEAPTRACK, LEAKSPY, UNTRACKED

NA = "n/a"

# The project's aims (issue 8).
AIM_NS_PER_EVENT = 40.0
TARGET_NS_PER_EVENT = 20.0
AIM_BYTES_PER_EVENT = 1.0
AIM_ANALYSIS_EVENTS_PER_S = 20e6
AIM_TORCH_LOSS_PCT = 5.0
AIM_ATTACH_S = 0.3  # attach latency and detach time (the brief: attach in under a second)


class Table:
    def __init__(self, title, headers, note=None):
        self.title = title
        self.headers = headers
        self.rows = []
        self.note = note

    def add(self, *cells):
        self.rows.append([NA if cell is None else str(cell) for cell in cells])

    def text(self):
        widths = [max(len(row[i]) for row in [self.headers] + self.rows) for i in range(len(self.headers))]

        def line(row):
            cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
            return "  ".join(cells).rstrip()

        out = [self.title, line(self.headers), "  ".join("-" * w for w in widths)]
        out += [line(row) for row in self.rows]
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def markdown(self):
        out = [f"### {self.title}", "", "| " + " | ".join(self.headers) + " |",
               "|" + "|".join([":---"] + ["---:"] * (len(self.headers) - 1)) + "|"]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows]
        if self.note:
            out += ["", self.note]
        return "\n".join(out)


def _num(value, digits=1):
    if value is None:
        return None
    if abs(value) >= 1e9:
        return f"{value / 1e9:.2f} G"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.{digits}f} M"
    return f"{value:,.{digits}f}"


def _count(n):
    if n is None:
        return None
    if n >= 1e6:
        return f"{n / 1e6:.2f} M"
    if n >= 1e3:
        return f"{n / 1e3:.0f} k"
    return str(int(n))


def _ms(ns):
    return None if ns is None else f"{ns / 1e6:,.1f}"


def _spread_ms(spread):
    if not spread:
        return None
    return f"{_ms(spread['min'])} / {_ms(spread['median'])} / {_ms(spread['max'])}"


def _ratio(value):
    return None if value is None else f"×{value:.2f}"


def _tool_cell(summary, tool, cell):
    """The cell for one tool, or why there is none."""
    if tool in summary["skipped"]:
        return "skipped"
    tool_summary = summary["tools"].get(tool)
    if tool_summary is None:
        return "not run"
    if not tool_summary["ok"]:
        return "FAILED"
    return cell(tool_summary)


def _derived(summary, tool, key):
    return summary["derived"].get(tool, {}).get(key)


def timing_table(summaries, reps):
    table = Table(f"Measured phase, ms: min / median / max of {reps} interleaved runs",
                  ["workload", "events", "untracked", "leakspy", "heaptrack", "leakspy ×", "heaptrack ×",
                   "leakspy ÷ heaptrack", "noise"],
                  note="× = median ÷ untracked median. noise = (max - min) ÷ median of the untracked runs. "
                       "events* = counted by leakspy (Python cannot count its allocator calls).")
    for s in summaries:
        events = _count(s["events"])
        if events and s["events_source"] != "workload":
            events += "*"
        table.add(s["workload"], events,
                  *[_tool_cell(s, tool, lambda t: _spread_ms(t["phase_wall_ns"])) for tool in (UNTRACKED, LEAKSPY, HEAPTRACK)],
                  _ratio(_derived(s, LEAKSPY, "ratio_to_untracked")),
                  _ratio(_derived(s, HEAPTRACK, "ratio_to_untracked")),
                  _ratio(s["derived"].get("leakspy_to_heaptrack")),
                  None if s["untracked_spread"] is None else f"{s['untracked_spread'] * 100:.0f} %")
        if s.get("heaptrack_raw"):
            table.rows[-1][4] += " (raw)"
            table.note += f"\n(raw) {s['workload']}: {s['heaptrack_raw']}."
        skipped = s["skipped"].get(HEAPTRACK)
        if skipped:
            table.note += f"\n{s['workload']}: heaptrack {skipped}."
    table.note += ("\nheaptrack's measured phase includes the ~1.5 s its interpreter takes to start (the target "
                   "blocks on the full pipe meanwhile): it weighs on short runs (--quick), much less on full ones.")
    return table


def cost_table(summaries):
    table = Table("Cost per event, ns: (tracked median - untracked median) ÷ events",
                  ["workload", "leakspy wall", "leakspy CPU target", "leakspy CPU total",
                   "heaptrack wall", "heaptrack CPU target", "heaptrack CPU total"],
                  note="wall and CPU target: the measured phase (CPU of every thread of the target, agent "
                       "threads included); CPU total: the whole run's process tree, recorder and start/finish "
                       "(symbolization, heaptrack_interpret) included.")
    for s in summaries:
        if s["kind"] == "torch":
            continue
        cells = []
        for tool in (LEAKSPY, HEAPTRACK):
            for key in ("ns_per_event_wall", "ns_per_event_target_cpu", "ns_per_event_total_cpu"):
                cells.append(_tool_cell(s, tool, lambda t, k=key, tl=tool: _num(_derived(s, tl, k))))
        table.add(s["workload"], *cells)
    return table


def capture_table(summaries):
    table = Table("Capture size, drops and memory (medians)",
                  ["workload", "leakspy B/event", "(before zstd)", "heaptrack B/event", "leakspy dropped",
                   "leakspy recorder CPU ms", "leakspy extra RSS", "heaptrack extra RSS"],
                  note="B/event: capture file bytes ÷ events (leakspy: its own event count; heaptrack: the "
                       "workload's count, or its allocations + frees for Python). Extra RSS: the target's peak "
                       "RSS tracked minus untracked. Recorder CPU: run's tree CPU minus the target's.")
    for s in summaries:
        leakspy = s["tools"].get(LEAKSPY) or {}
        capture = leakspy.get("capture") or {}
        heaptrack = s["tools"].get(HEAPTRACK) or {}
        heaptrack_capture = heaptrack.get("capture") or {}
        heaptrack_events = s["events"] if s["events_source"] == "workload" else heaptrack_capture.get("events")
        heaptrack_bpe = None
        if heaptrack_capture.get("capture_bytes") and heaptrack_events:
            heaptrack_bpe = heaptrack_capture["capture_bytes"] / heaptrack_events
        recorder = leakspy.get("recorder_cpu_ns")
        table.add(s["workload"],
                  _tool_cell(s, LEAKSPY, lambda t: f"{capture['bytes_per_event']:.3f}" if capture.get("bytes_per_event") else None),
                  _tool_cell(s, LEAKSPY, lambda t: f"{capture['raw_bytes_per_event']:.2f}" if capture.get("raw_bytes_per_event") else None),
                  _tool_cell(s, HEAPTRACK, lambda t: (f"{heaptrack_bpe:.3f}" + (" (raw)" if s.get("heaptrack_raw") else ""))
                             if heaptrack_bpe else None),
                  _tool_cell(s, LEAKSPY, lambda t: capture.get("dropped_events_max")),
                  _tool_cell(s, LEAKSPY, lambda t: _ms(recorder["median"]) if recorder else None),
                  _tool_cell(s, LEAKSPY, lambda t: _kib(_derived(s, LEAKSPY, "extra_rss_kb"))),
                  _tool_cell(s, HEAPTRACK, lambda t: _kib(_derived(s, HEAPTRACK, "extra_rss_kb"))))
    return table


def _kib(kb):
    if kb is None:
        return None
    return f"{kb / 1024:+.1f} MiB" if abs(kb) >= 1024 else f"{kb:+.0f} KiB"


def torch_table(summaries):
    table = Table("PyTorch CPU inference loop: batches per second (min / median / max) and throughput loss",
                  ["tool", "batches/s", "loss"])
    for s in summaries:
        if s["kind"] != "torch":
            continue
        for tool in (UNTRACKED, LEAKSPY, HEAPTRACK):
            def cell(t):
                spread = t["throughput"]
                return f"{spread['min']:.1f} / {spread['median']:.1f} / {spread['max']:.1f}" if spread else None
            loss = _derived(s, tool, "throughput_loss_pct")
            table.add(tool, _tool_cell(s, tool, cell),
                      "—" if tool == UNTRACKED else _tool_cell(s, tool, lambda t: f"{loss:.1f} %" if loss is not None else None))
    return table


def _seconds(ns):
    return "—" if ns is None else f"{ns / 1e9:.2f}"


def analysis_table(analyses):
    table = Table("Analysis throughput (top, flamegraph), events per second of the median run",
                  ["capture", "events", "step", "wall s (min / median / max)", "events/s"],
                  note="leakspy top / flamegraph: the CLI end to end (process start, reading, replay, "
                       "rendering to a file). in-process: leakspy_report_bench calling the library "
                       "(bench/reports/report_throughput.cpp), best of runs as min.")
    if not analyses:
        table.add("not run", None, None, None, None)
    for analysis in analyses:
        events = _count(analysis.get("events"))
        if analysis.get("failure"):
            table.add(analysis.get("workload", "?"), events, "recording", analysis["failure"], None)
        for name, step in analysis.get("steps", {}).items():
            if not step.get("ok"):
                table.add(analysis.get("workload", "?"), events, name, step.get("failure"), None)
                continue
            wall = step["wall_ns"]
            table.add(analysis.get("workload", "?"), events, name,
                      f"{_seconds(wall['min'])} / {_seconds(wall['median'])} / {_seconds(wall['max'])}",
                      _num(step.get("events_per_s")))
    return table


def _median_field(outcomes, key):
    values = sorted(o[key] for o in outcomes if o.get(key) is not None)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def attach_table(attach):
    table = Table("Attach mode (medians; seen from the capture and from the target's own batch timeline)",
                  ["tool", "runs ok", "attach: first event s", "attach: timeline s", "tool says attached s",
                   "longest pause ms", "overhead ns/event", "tool exit after stop s", "hooks gone s",
                   "detach s"],
                  note="Seconds from the command's start: to the first event in the capture (header clock + "
                       "the event's time; events before the recorder's session began are stamped at its start, "
                       "so this is an upper bound), and to the first run of target batches as slow as tracked "
                       "ones (the hooks are live). "
                       "Stop = SIGINT to `leakspy record`; tool exit = leakspy reaped; hooks gone = the target's "
                       "batches back at untracked speed; detach = the later of the two. heaptrack's detach is "
                       "not measured (see bench/benchlib/attach.py).")
    if not attach.get("tools"):
        table.add("not run", *[None] * 9)
    for tool, entry in attach.get("tools", {}).items():
        if entry.get("unavailable"):
            table.add(tool, entry["unavailable"], *[None] * 8)
            continue
        outcomes = [o for o in entry["runs"] if o.get("ok")]
        failures = sorted({o.get("failure") for o in entry["runs"] if o.get("failure")})
        leakspy = tool == LEAKSPY
        failure = f" ({failures[0][:90]}{'…' if len(failures[0]) > 90 else ''})" if failures else ""
        table.add(tool, f"{len(outcomes)}/{len(entry['runs'])}{failure}",
                  _fixed(_median_field(outcomes, "first_event_in_capture_s"), 3) if leakspy else "—",
                  _fixed(_median_field(outcomes, "attach_latency_s"), 3),
                  _fixed(_median_field(outcomes, "tool_reports_attached_s"), 3) if not leakspy else "—",
                  _fixed(_median_field(outcomes, "attach_pause_ms"), 1),
                  _fixed(_median_field(outcomes, "overhead_ns_per_event"), 1),
                  _fixed(_median_field(outcomes, "tool_exit_after_stop_s"), 3) if leakspy else "—",
                  _fixed(_median_field(outcomes, "detach_time_s"), 3) if leakspy else "not measured",
                  _fixed(_median_field(outcomes, "detach_total_s"), 3) if leakspy else "not measured")
    return table


def _fixed(value, digits):
    return None if value is None else f"{value:.{digits}f}"


def aims_table(summaries, analyses, attach, quick=False):
    table = Table("The project's aims", ["aim", "measured", "verdict"],
                  note="--quick: short runs, in which start-up costs (the agent's, heaptrack's interpreter's, "
                       "process start in the analysis) weigh on every per-event number; only a full run's "
                       "verdicts count." if quick else None)

    def verdict(value, limit, target=None):
        if value is None:
            return "not measured"
        if target is not None and value <= target:
            return "meets the target"
        return "meets the aim" if value <= limit else "MISSES the aim"

    micro = [s for s in summaries if s["workload"].startswith("malloc_free")]
    worst = max(((_derived(s, LEAKSPY, "ns_per_event_wall"), s["workload"]) for s in micro
                 if _derived(s, LEAKSPY, "ns_per_event_wall") is not None), default=(None, None))
    table.add(f"≤ {AIM_NS_PER_EVENT:.0f} ns/event wall, native stacks (target {TARGET_NS_PER_EVENT:.0f}); "
              "worst microbenchmark",
              f"{worst[0]:.1f} ns ({worst[1]})" if worst[0] is not None else None,
              verdict(worst[0], AIM_NS_PER_EVENT, TARGET_NS_PER_EVENT))
    worst_cpu = max(((_derived(s, LEAKSPY, "ns_per_event_total_cpu"), s["workload"]) for s in micro
                     if _derived(s, LEAKSPY, "ns_per_event_total_cpu") is not None), default=(None, None))
    table.add("CPU per event, total (heaptrack: about 160 ns); worst microbenchmark",
              f"{worst_cpu[0]:.1f} ns ({worst_cpu[1]})" if worst_cpu[0] is not None else None, "for reference")
    for s in summaries:
        if s["kind"] == "torch":
            continue
        capture = (s["tools"].get(LEAKSPY) or {}).get("capture") or {}
        bpe = capture.get("bytes_per_event")
        table.add(f"≤ {AIM_BYTES_PER_EVENT:.0f} byte/event: {s['workload']}",
                  f"{bpe:.3f} B" if bpe is not None else None, verdict(bpe, AIM_BYTES_PER_EVENT))
    first = analyses[0] if analyses else {}
    for name in ("leakspy top", "leakspy flamegraph"):
        step = first.get("steps", {}).get(name, {})
        rate = step.get("events_per_s")
        events = f" ({_count(first['events'])} events)" if first.get("events") else ""
        table.add(f"≥ {AIM_ANALYSIS_EVENTS_PER_S / 1e6:.0f} M events/s: {name}{events}",
                  _num(rate) + " events/s" if rate else step.get("failure", None),
                  "not measured" if rate is None else
                  ("meets the aim" if rate >= AIM_ANALYSIS_EVENTS_PER_S else "MISSES the aim"))
    runs = [o for o in (attach.get("tools", {}).get(LEAKSPY) or {}).get("runs", []) if o.get("ok")]
    # The target's timeline: the capture's clock starts when the recorder's
    # session does, and events before that moment are stamped 0 there.
    latency = _median_field(runs, "attach_latency_s")
    if latency is None:
        latency = _median_field(runs, "first_event_in_capture_s")
    for label, value in (("attach latency, command start -> first event (target timeline)", latency),
                         ("detach time, SIGINT -> leakspy exited and hooks gone",
                          _median_field(runs, "detach_total_s"))):
        table.add(f"≤ {AIM_ATTACH_S:.1f} s: {label}", f"{value:.3f} s" if value is not None else None,
                  verdict(value, AIM_ATTACH_S))
    for s in summaries:
        if s["kind"] == "torch":
            loss = _derived(s, LEAKSPY, "throughput_loss_pct")
            table.add(f"≤ {AIM_TORCH_LOSS_PCT:.0f} % throughput loss: PyTorch loop",
                      f"{loss:.1f} %" if loss is not None else None, verdict(loss, AIM_TORCH_LOSS_PCT))
    return table


def all_tables(results):
    summaries = results["workloads"]
    tables = [timing_table(summaries, results["settings"]["reps"]), cost_table(summaries),
              capture_table(summaries)]
    if any(s["kind"] == "torch" for s in summaries):
        tables.append(torch_table(summaries))
    tables.append(analysis_table(results.get("analysis") or []))
    tables.append(attach_table(results.get("attach", {})))
    tables.append(aims_table(summaries, results.get("analysis") or [], results.get("attach", {}),
                             results["settings"]["quick"]))
    return tables


def header_lines(results):
    machine = results["machine"]
    settings = results["settings"]
    return [
        f"leakspy benchmark, {results['date']}, commit {results['commit']}"
        f"{' (with uncommitted changes)' if results.get('dirty') else ''}",
        f"machine: {machine['cpu']}, {machine['cores']} cores, kernel {machine['kernel']}; "
        f"load average {machine['load_before']} before, {machine['load_after']} after",
        f"mode: {'--quick' if settings['quick'] else 'full'}, {settings['reps']} interleaved runs per tool "
        f"(+1 untracked warm-up), {settings['heaptrack']}, python {settings['python']}; "
        f"took {results['duration_s']:.0f} s",
        "command: " + settings["command"],
    ]


def render_text(results):
    return "\n\n".join(["\n".join(header_lines(results))] + [table.text() for table in all_tables(results)])


def render_markdown(results):
    head = ["# leakspy benchmarks", "",
            "Written by `scripts/bench.sh` (bench/harness.py); the raw numbers are in "
            "[latest.json](latest.json).", ""]
    head += ["    " + line for line in header_lines(results)]
    return "\n".join(head) + "\n\n" + "\n\n".join(table.markdown() for table in all_tables(results)) + "\n"
