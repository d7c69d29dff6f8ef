"""The HTML of the PnL chart app (``ui://trade-tracker/pnl-chart.html``): one self-contained document.

Inline CSS, inline SVG drawn by plain JavaScript: no CDN, no font, no image, no request of any kind, so it
renders under the MCP Apps default CSP (no network). It speaks the MCP Apps postMessage protocol just
enough: ``ui/initialize`` to the host, ``ui/notifications/initialized``, then it draws the
``structuredContent`` of each ``ui/notifications/tool-result`` (show_pnl_chart's :class:`ChartOut`) and
reports its height (``ui/notifications/size-changed``). ``window.__PNL_DATA__``, when a page sets it
before this script (``make screenshot`` does, with demo data), is drawn at once without a host.

Per quote currency, three panels on one time axis: the cumulative realized PnL before and after fees
(lines), the volume per period and the fees per period (bars, each on its own scale); every panel names
its currency, and the axis its UTC periods.
"""

__all__ = ["PNL_CHART_HTML"]

PNL_CHART_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trade-tracker: realized PnL</title>
<style>
 body{font:13px system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:12px 16px;color:#1f2328;background:#fff}
 h1{font-size:15px;margin:0 0 2px} .sub{color:#59636e;margin:0 0 10px}
 .cur{margin:0 0 18px} h2{font-size:13px;margin:6px 0} svg{display:block;width:100%;height:auto}
 .axis{stroke:#d0d7de} .grid{stroke:#eef1f4} .tick{fill:#59636e;font-size:10px}
 .pnl{fill:none;stroke:#0969da;stroke-width:2} .net{fill:none;stroke:#8250df;stroke-width:2;stroke-dasharray:5 3}
 .vol{fill:#9ecbff} .fee{fill:#cf222e} .zero{stroke:#59636e;stroke-dasharray:2 2}
 .ptitle{fill:#1f2328;font-size:11px;font-weight:600}
 .legend span{margin-right:14px;white-space:nowrap}
 .sw{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
 .empty{color:#59636e;padding:20px 0}
</style></head>
<body><h1 id="title">Realized PnL</h1><p class="sub" id="sub">Waiting for show_pnl_chart's result...</p>
<div id="charts"></div>
<script>
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg", W = 760, L = 78, R = 14;
  var PANELS = [["pnl", 180], ["volume", 100], ["fees", 64]], GAP = 30;
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function num(s) { return parseFloat(s); }
  function fmt(v, step) {
    var a = Math.abs(v), d = step < 1 ? 2 : 0;
    var s = a >= 1e6 ? (a / 1e6).toFixed(step < 1e5 ? 2 : 1) + "M"
      : a >= 1e4 ? (a / 1e3).toFixed(step < 1e3 ? 1 : 0) + "k" : a.toFixed(d);
    return (v < 0 ? "-" : "") + s;
  }
  function nice(span) {
    var raw = span / 4, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  }
  function axis(svg, lo, hi, top, bottom, cur, title) {
    if (hi <= lo) { hi = lo + 1; }
    var step = nice(hi - lo), a = Math.floor(lo / step) * step, b = Math.ceil(hi / step) * step;
    var y = function (v) { return bottom - (v - a) / (b - a) * (bottom - top); };
    for (var v = a; v <= b + step / 2; v += step) {
      var yy = y(v);
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: yy, y2: yy, "class": v === 0 ? "zero" : "grid"}));
      svg.appendChild(el("text", {x: L - 6, y: yy + 3, "text-anchor": "end", "class": "tick"}, fmt(v, step)));
    }
    svg.appendChild(el("text", {x: L, y: top - 8, "class": "ptitle"}, title + " (" + cur + ")"));
    return y;
  }
  function bars(svg, ps, key, y, base, xc, bw, cls, cur) {
    ps.forEach(function (p, i) {
      var top = y(num(p[key])), h = Math.max(1, base - top);
      var bar = el("rect", {x: xc(i) - bw / 2, y: base - h, width: bw, height: h, "class": cls});
      bar.appendChild(el("title", {}, p.period + ": " + key.replace("quote_", "") + " " + p[key] + " " + cur));
      svg.appendChild(bar);
    });
  }
  function series(s, groupBy) {
    var box = document.createElement("div"); box.className = "cur";
    var ps = s.periods, n = ps.length, unit = groupBy === "day" ? "day" : "month";
    var h = document.createElement("h2");
    h.textContent = s.currency + ": cumulative realized PnL, with volume and fees per " + unit;
    box.appendChild(h);
    if (!n) { return box; }
    var tops = [], at = GAP;
    PANELS.forEach(function (pn) { tops.push(at); at += pn[1] + GAP; });
    var H = at + 10, svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img"});
    var step = (W - L - R) / n, xc = function (i) { return L + step * (i + 0.5); }, bw = Math.max(1, step * 0.7);
    var cum = ps.map(function (p) { return num(p.cumulative_realized_pnl); });
    var net = ps.map(function (p) { return num(p.cumulative_net_realized_pnl); });
    var all = cum.concat(net), p0 = tops[0], p1 = p0 + PANELS[0][1];
    var y = axis(svg, Math.min(0, Math.min.apply(null, all)), Math.max(0, Math.max.apply(null, all)), p0, p1,
      s.currency, "cumulative realized PnL, before and after fees");
    [[cum, "pnl"], [net, "net"]].forEach(function (pair) {
      var d = pair[0].map(function (v, i) {
        return (i ? "L" : "M") + xc(i).toFixed(1) + " " + y(v).toFixed(1);
      }).join(" ");
      svg.appendChild(el("path", {d: d, "class": pair[1]}));
    });
    [["quote_volume", "vol", "volume per " + unit], ["fees", "fee", "fees per " + unit]].forEach(function (b, k) {
      var top = tops[k + 1], bottom = top + PANELS[k + 1][1];
      var vmax = Math.max.apply(null, ps.map(function (p) { return num(p[b[0]]); }));
      var yy = axis(svg, 0, vmax || 1, top, bottom, s.currency, b[2]);
      bars(svg, ps, b[0], yy, bottom, xc, bw, b[1], s.currency);
    });
    var base = tops[2] + PANELS[2][1], every = Math.max(1, Math.ceil(n / 10)), shown = -every;
    ps.forEach(function (p, i) {
      if (i - shown >= every && (i === n - 1 || n - 1 - i >= every / 2 || i === 0)) {
        svg.appendChild(el("text", {x: xc(i), y: base + 14, "text-anchor": "middle", "class": "tick"}, p.period));
        shown = i;
      }
    });
    box.appendChild(svg);
    var last = ps[n - 1], lg = document.createElement("div"); lg.className = "legend";
    lg.innerHTML = '<span><i class="sw" style="background:#0969da"></i>cumulative realized PnL</span>' +
      '<span><i class="sw" style="background:#8250df"></i>after fees</span>' +
      '<span><i class="sw" style="background:#9ecbff;height:8px"></i>volume</span>' +
      '<span><i class="sw" style="background:#cf222e;height:8px"></i>fees</span>';
    var t = document.createElement("span");
    t.textContent = "UTC " + unit + "s; to " + last.period + ": " + last.cumulative_realized_pnl + " " + s.currency +
      " (" + last.cumulative_net_realized_pnl + " after fees)";
    lg.appendChild(t); box.appendChild(lg);
    return box;
  }
  function draw(data) {
    if (!data || !data.series) { return; }
    document.getElementById("title").textContent = data.title || "Realized PnL";
    var window_ = [data.since && "from " + data.since.slice(0, 10), data.until && "to " + data.until.slice(0, 10)]
      .filter(Boolean).join(" ");
    document.getElementById("sub").textContent = data.fill_count + " fills, FIFO, by " + data.group_by +
      (window_ ? ", " + window_ : "") + ". From the local store.";
    var root = document.getElementById("charts"); root.textContent = "";
    if (!data.series.length) {
      var e = document.createElement("p"); e.className = "empty";
      e.textContent = data.hint || "No fills in this window."; root.appendChild(e);
    }
    data.series.forEach(function (s) { root.appendChild(series(s, data.group_by)); });
    send({jsonrpc: "2.0", method: "ui/notifications/size-changed",
      params: {width: document.body.scrollWidth, height: document.body.scrollHeight}});
  }
  var host = window.parent && window.parent !== window ? window.parent : null;
  function send(msg) { if (host) { host.postMessage(msg, "*"); } }
  window.addEventListener("message", function (ev) {
    var m = ev.data;
    if (!m || m.jsonrpc !== "2.0") { return; }
    if (m.id === 1 && (m.result || m.error)) {
      send({jsonrpc: "2.0", method: "ui/notifications/initialized", params: {}});
    } else if (m.method === "ui/notifications/tool-result" && m.params) {
      draw(m.params.structuredContent);
    }
  });
  if (window.__PNL_DATA__) { draw(window.__PNL_DATA__); }
  send({jsonrpc: "2.0", id: 1, method: "ui/initialize", params: {protocolVersion: "2026-01-26",
    appInfo: {name: "trade-tracker-pnl-chart", version: "1"}, appCapabilities: {}}});
})();
</script></body></html>
"""
