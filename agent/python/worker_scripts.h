#pragma once
// The Python code the agent's Python worker runs in the target (GIL held),
// each in a namespace of its own (agent/python/python_worker.cpp).

namespace leakspy::agent::python {

// _leakspy_census(most, least): "count name" lines, most numerous first, for
// the types with at least `least` objects the collector tracks (at most
// `most` of them). Types of one name (a class defined twice) count together.
inline constexpr char kCensusScript[] = R"(
import gc as _gc

def _leakspy_type_name(t):
    module = getattr(t, '__module__', None) or ''
    name = getattr(t, '__qualname__', None) or t.__name__
    name = str(name if module == 'builtins' or not isinstance(module, str) or not module else module + '.' + name)
    return ''.join(c if ' ' <= c != '\x7f' else '?' for c in name[:60]) or '?'

def _leakspy_census(most, least):
    by_type = {}
    for o in _gc.get_objects():
        t = type(o)
        by_type[t] = by_type.get(t, 0) + 1
    by_name = {}
    for t, n in by_type.items():
        name = _leakspy_type_name(t)
        by_name[name] = by_name.get(name, 0) + n
    rows = sorted([(n, name) for name, n in by_name.items() if n >= least], key=lambda row: -row[0])[:most]
    return '\n'.join('%d %s' % row for row in rows).encode('utf-8', 'replace')
)";

// _leakspy_kept_by(samples, seconds): what keeps the objects in some blocks
// of the python heap alive. `samples` are (tag, address, size) of live
// blocks; an object lies in one when its id() does (after the collector's
// header). From each object found, referrers are followed up, a level at a
// time over every tracked object, until a root: a module's global, a class
// attribute, or a local variable of a running function. Lines of
// "tag<TAB>holder id in hex<TAB>1 if the holder is a list else 0<TAB>chain",
// the holder being the object right below the root; at most `seconds` spent.
inline constexpr char kKeptByScript[] = R"(
import gc as _gc
import sys as _sys
import time as _time
import bisect as _bisect

def _leakspy_text(value, most=60):
    return ''.join(c if ' ' <= c != '\x7f' else '?' for c in str(value)[:most]) or '?'

def _leakspy_kept_by(samples, seconds):
    deadline = _time.monotonic() + seconds
    spans = sorted(samples, key=lambda sample: sample[1])
    starts = [sample[1] for sample in spans]
    found = {}
    def match(o):
        a = id(o)
        i = _bisect.bisect_right(starts, a) - 1
        if i >= 0 and a < spans[i][1] + spans[i][2] and spans[i][0] not in found:
            found[spans[i][0]] = o
    objects = _gc.get_objects()
    for o in objects:
        match(o)
    if len(found) < len(spans):
        for o in objects:
            for r in _gc.get_referents(o):
                match(r)
            if _time.monotonic() > deadline:
                break
    mine = {id(objects), id(found), id(spans), id(starts), id(samples)}
    roots = {}
    for name, module in list(_sys.modules.items()):
        names = getattr(module, '__dict__', None)
        if type(names) is dict:  # the first name wins: __main__, not an alias such as __mp_main__
            roots.setdefault(id(names), ('global', name, names))
    for o in objects:
        if isinstance(o, type):
            for r in _gc.get_referents(o):
                if type(r) is dict and id(r) not in roots:
                    roots[id(r)] = ('class', getattr(o, '__qualname__', '?'), r)
    here = _sys._getframe()
    local_of = {}
    for frame in _sys._current_frames().values():
        while frame is not None:
            # A module's code has the module's globals as its locals: those are globals.
            if frame is not here and frame.f_code.co_name != '<module>':
                for key, value in frame.f_locals.items():
                    local_of.setdefault(id(value), (key, frame))
            frame = frame.f_back
    parent = {}
    frontier = {id(o) for o in found.values()}
    for depth in range(8):
        if not frontier or _time.monotonic() > deadline:
            break
        reached = set()
        for p in objects:
            if id(p) in mine:
                continue
            for r in _gc.get_referents(p):
                rid = id(r)
                if rid in frontier and rid not in parent and rid not in roots and rid not in local_of:
                    parent[rid] = p
                    if id(p) not in roots and id(p) not in local_of:
                        reached.add(id(p))
        frontier = reached
    lines = []
    for tag, o in found.items():
        path = [o]
        while id(path[-1]) in parent and len(path) < 10:
            path.append(parent[id(path[-1])])
        top = path[-1]
        if id(top) in roots and len(path) >= 2:
            kind, owner, names = roots[id(top)]
            key = next((k for k, v in names.items() if v is path[-2]), '?')
            where = 'module global in ' + owner if kind == 'global' else 'attribute of class ' + owner
            head = '%s (%s)' % (_leakspy_text(key), _leakspy_text(where))
            chain = path[-2::-1]
        elif id(top) in local_of:
            key, frame = local_of[id(top)]
            code = frame.f_code
            head = '%s (local in %s, %s:%d)' % (_leakspy_text(key), _leakspy_text(code.co_name),
                                                _leakspy_text(code.co_filename, 200), frame.f_lineno)
            chain = path[::-1]
        else:
            continue
        holder = chain[0]
        text = ' -> '.join([head] + [_leakspy_text(type(x).__qualname__) for x in chain])
        lines.append('%d\t%x\t%d\t%s' % (tag, id(holder), 1 if type(holder) is list else 0, text[:390]))
    return '\n'.join(lines).encode('utf-8', 'replace')
)";

}  // namespace leakspy::agent::python
