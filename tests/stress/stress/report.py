"""The table of a stress run, and the details behind its numbers."""
import math
import re


def percentile(values, fraction):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def _ms(value):
    return "-" if value is None else f"{value:.1f}"


COLUMNS = ("target", "cycles", "leakspy fail", "deaths", "hangs", "checksum equal",
           "stop p50 ms", "p99", "max", "gap p99", "max", "idle max", "leaked", "agents")


def rows(results):
    for r in results:
        if r.skipped:
            yield (r.name, "skipped: " + r.skipped)
            continue
        equal = {None: "-", True: "yes", False: "no"}[r.checksum_equal]
        yield (r.name, str(r.cycles), str(len(r.failures)), str(len(r.deaths)), str(len(r.hangs)), equal,
               _ms(percentile(r.stops_ms, 0.5)), _ms(percentile(r.stops_ms, 0.99)), _ms(max(r.stops_ms, default=None)),
               _ms(percentile(r.gaps_ms, 0.99)), _ms(max(r.gaps_ms, default=None)), _ms(max(r.idle_ms, default=None)), str(len(r.leaked)), "-" if r.agents is None else str(r.agents))


def table(results):
    lines = list(rows(results))
    widths = [max(len(COLUMNS[i]), *(len(line[i]) for line in lines if len(line) > i and len(line) > 2))
              for i in range(len(COLUMNS))]
    def format_row(cells):
        if len(cells) == 2:  # skipped
            return f"{cells[0]:<{widths[0]}}  {cells[1]}"
        return "  ".join(cell.rjust(width) if i else cell.ljust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths)))
    return "\n".join([format_row(COLUMNS)] + [format_row(line) for line in lines])


def _shape(text):
    """A message with its numbers blanked, to count failures of one kind together."""
    return re.sub(r"\d+", "N", text.strip().splitlines()[0] if text.strip() else "(no output)")


def details(results, verbatim=3):
    out = []
    for r in results:
        if r.skipped:
            continue
        out.append(f"\n== {r.name}: {r.cycles} cycles in {r.seconds:.0f} s")
        if r.error:
            out.append(f"harness error (not a finding about leakspy): {r.error}")
        out.append(f"reference checksum: {r.reference}")
        for checksum in r.checksums:
            out.append(f"checksum after the cycles: {checksum}" + ("" if checksum == r.reference else "  <-- DIFFERS"))
        if r.reported_ms:
            out.append(f"leakspy's own 'attached in' times: p50 {percentile(r.reported_ms, 0.5)} ms, "
                       f"max {max(r.reported_ms)} ms")
        if r.record_s:
            out.append(f"leakspy record wall time (--duration included): p50 {percentile(r.record_s, 0.5):.2f} s, "
                       f"p99 {percentile(r.record_s, 0.99):.2f} s, max {max(r.record_s):.2f} s")
        for kind in ("failures", "deaths", "hangs"):
            events = getattr(r, kind)
            if not events:
                continue
            shapes = {}
            for event in events:
                shapes[_shape(event.text)] = shapes.get(_shape(event.text), 0) + 1
            out.append(f"{kind} ({len(events)}), by message:")
            out += [f"  {count} x {shape}" for shape, count in sorted(shapes.items(), key=lambda kv: -kv[1])]
            for event in events[:verbatim]:
                out.append(f"  -- cycle {event.cycle}, verbatim:")
                out += ["     " + line for line in event.text.strip().splitlines()]
        for path in r.leaked:
            out.append(f"leaked: {path}")
        if (r.agents or 0) > 1:
            out.append(f"{r.agents} agent images are mapped in the attached process (expected 1)")
    return "\n".join(out)
