#pragma once
// The style and script embedded in every flame graph SVG, so that the file
// works on its own in any browser: hover details, click to zoom (ancestors
// stay as faded full-width bars), Reset Zoom, Search (a regular expression;
// button, Ctrl-F or ?s=term in the URL) highlighting matches with the share
// of the total they cover, Escape to clear. Frame geometry and names are
// read from the SVG itself; the text-fitting rule matches flamegraph_svg.cpp.

namespace leakspy::render {

inline constexpr const char* kFlamegraphStyle = R"css(
text { font-family: Verdana, "DejaVu Sans", sans-serif; font-size: 12px; fill: #000; }
#ls-title { font-size: 17px; text-anchor: middle; }
.ls-subtitle { text-anchor: middle; fill: #444; }
.ls-button { cursor: pointer; }
.ls-button:hover { fill: #00c; }
#ls-frames > g { cursor: pointer; }
#ls-frames > g:hover > rect { stroke: #333; stroke-width: 0.5; }
#ls-frames text { pointer-events: none; }
.ls-hidden { display: none; }
.ls-parent { opacity: 0.5; }
)css";

inline constexpr const char* kFlamegraphScript = R"js(
"use strict";
(function () {
  var svg = document.getElementById("leakspy-flamegraph");
  if (!svg) return;
  var XPAD = Number(svg.getAttribute("data-xpad"));
  var GRAPH_WIDTH = Number(svg.getAttribute("data-graph-width"));
  var CHAR_WIDTH = Number(svg.getAttribute("data-char-width"));
  var TOTAL = Number(svg.getAttribute("data-total"));
  var MATCH_FILL = "rgb(230,0,230)";
  var EPSILON = 0.05;
  var details = document.getElementById("ls-details");
  var unzoomButton = document.getElementById("ls-unzoom");
  var searchButton = document.getElementById("ls-search");
  var matched = document.getElementById("ls-matched");
  var frameGroup = document.getElementById("ls-frames");

  var frames = [];
  var root = null;
  var groups = frameGroup.children;
  for (var i = 0; i < groups.length; i++) {
    var g = groups[i];
    var rect = g.querySelector("rect");
    var title = g.querySelector("title").textContent;
    var frame = {
      g: g, rect: rect, text: g.querySelector("text"), title: title, name: title.split("\n")[0],
      x: Number(rect.getAttribute("x")), w: Number(rect.getAttribute("width")),
      y: Number(rect.getAttribute("y")), v: Number(g.getAttribute("data-v")), fill: rect.getAttribute("fill")
    };
    g.leakspyFrame = frame;
    if (root === null || frame.y > root.y) root = frame;
    frames.push(frame);
  }

  // Same rule as the renderer: what fits in `width`, cut with "..".
  function fit(name, width) {
    var room = Math.floor((width - 6) / CHAR_WIDTH);
    if (room < 3) return "";
    return name.length <= room ? name : name.substring(0, room - 2) + "..";
  }
  function place(frame, x, w) {
    frame.rect.setAttribute("x", x.toFixed(2));
    frame.rect.setAttribute("width", w.toFixed(2));
    frame.text.setAttribute("x", (x + 3).toFixed(2));
    frame.text.textContent = fit(frame.name, w);
  }

  var zoomed = null;
  function zoom(target) {
    var ratio = GRAPH_WIDTH / target.w;
    frames.forEach(function (f) {
      f.g.classList.remove("ls-hidden", "ls-parent");
      var below = f.y > target.y;
      if (below && f.x <= target.x + EPSILON && f.x + f.w >= target.x + target.w - EPSILON) {
        f.g.classList.add("ls-parent");  // an ancestor: full width, faded
        place(f, XPAD, GRAPH_WIDTH);
      } else if (!below && f.x >= target.x - EPSILON && f.x + f.w <= target.x + target.w + EPSILON) {
        place(f, XPAD + (f.x - target.x) * ratio, f.w * ratio);
      } else {
        f.g.classList.add("ls-hidden");
      }
    });
    zoomed = target;
    unzoomButton.classList.remove("ls-hidden");
  }
  function unzoom() {
    frames.forEach(function (f) {
      f.g.classList.remove("ls-hidden", "ls-parent");
      place(f, f.x, f.w);
    });
    zoomed = null;
    unzoomButton.classList.add("ls-hidden");
  }

  var searching = false;
  function search(term) {
    var pattern;
    try {
      pattern = new RegExp(term);
    } catch (error) {
      pattern = new RegExp(term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    }
    var matches = [];
    frames.forEach(function (f) {
      if (f !== root && pattern.test(f.name)) {
        f.rect.setAttribute("fill", MATCH_FILL);
        f.g.classList.add("ls-match");
        matches.push(f);
      } else {
        f.rect.setAttribute("fill", f.fill);
        f.g.classList.remove("ls-match");
      }
    });
    // A match inside a matched ancestor is already covered by it: frames
    // nest, so after sorting by position a nested one starts before the
    // covered range ends.
    matches.sort(function (a, b) { return a.x - b.x || b.w - a.w; });
    var covered = 0, end = -Infinity;
    matches.forEach(function (f) {
      if (f.x >= end - EPSILON) {
        covered += f.v;
        end = f.x + f.w;
      }
    });
    var percent = TOTAL > 0 ? (100 * covered) / TOTAL : 0;
    matched.textContent = "Matched: " + percent.toFixed(1) + "% (" + matches.length +
        (matches.length === 1 ? " frame)" : " frames)");
    searchButton.textContent = "Reset Search";
    searching = true;
  }
  function resetSearch() {
    frames.forEach(function (f) {
      f.rect.setAttribute("fill", f.fill);
      f.g.classList.remove("ls-match");
    });
    matched.textContent = " ";
    searchButton.textContent = "Search";
    searching = false;
  }
  function askSearch() {
    var term = window.prompt("Search frames (a regular expression):", "");
    if (term) search(term);
  }

  frameGroup.addEventListener("click", function (event) {
    var g = event.target.closest("#ls-frames > g");
    if (!g || !g.leakspyFrame) return;
    if (g.leakspyFrame === root) unzoom();
    else zoom(g.leakspyFrame);
  });
  frameGroup.addEventListener("mouseover", function (event) {
    var g = event.target.closest("#ls-frames > g");
    if (g && g.leakspyFrame) details.textContent = g.leakspyFrame.title.replace("\n", ": ");
  });
  frameGroup.addEventListener("mouseout", function () { details.textContent = " "; });
  unzoomButton.addEventListener("click", unzoom);
  searchButton.addEventListener("click", function () {
    if (searching) resetSearch();
    else askSearch();
  });
  window.addEventListener("keydown", function (event) {
    if ((event.ctrlKey && event.key === "f") || event.key === "F3") {
      event.preventDefault();
      askSearch();
    } else if (event.key === "Escape") {
      resetSearch();
    }
  });
  var initial = new URLSearchParams(window.location.search).get("s");
  if (initial) search(initial);

  // For scripts and tests that drive the graph without a mouse.
  window.leakspyFlamegraph = {
    frames: function () { return frames.map(function (f) { return f.name; }); },
    zoom: function (name) {
      var f = frames.find(function (frame) { return frame.name === name; });
      if (f) zoom(f);
      return !!f;
    },
    unzoom: unzoom,
    search: search,
    resetSearch: resetSearch,
    zoomed: function () { return zoomed ? zoomed.name : null; }
  };
})();
)js";

}  // namespace leakspy::render
