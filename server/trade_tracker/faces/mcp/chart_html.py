"""The HTML of the PnL chart app (``ui://trade-tracker/pnl-chart.html``): one self-contained document.

Inline CSS, inline SVG drawn by plain JavaScript: no CDN, no font, no image, no request of any kind, so it
renders under the MCP Apps default CSP (no network). It speaks the MCP Apps postMessage protocol just
enough: ``ui/initialize`` to the host, ``ui/notifications/initialized``, then it draws the
``structuredContent`` of each ``ui/notifications/tool-result`` (show_pnl_chart's :class:`ChartOut`) and
reports its height (``ui/notifications/size-changed``). ``window.__PNL_DATA__``, when a page sets it
before this script (``make screenshot`` does, with demo data), is drawn at once without a host.

Per quote currency: a line of the cumulative realized PnL and one after fees (top), and bars of the
volume per period with each period's fees (bottom); the currency and the period are labelled.
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
 .legend span{margin-right:14px;white-space:nowrap}
 .sw{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
 .empty{color:#59636e;padding:20px 0}
</style></head>
<body><h1 id="title">Realized PnL</h1><p class="sub" id="sub">Waiting for show_pnl_chart's result...</p>
<div id="charts"></div>
<script>
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg", W = 760, TOP = 190, BOT = 110, L = 70, R = 14;
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function num(s) { return parseFloat(s); }
  function fmt(v) {
    var a = Math.abs(v);
    var s = a >= 1e6 ? (a / 1e6).toFixed(2) + "M" : a >= 1e4 ? (a / 1e3).toFixed(1) + "k" : a.toFixed(2);
    return (v < 0 ? "-" : "") + s;
  }
  function scale(lo, hi, top, bottom) {
    if (lo === hi) { lo -= 1; hi += 1; }
    return function (v) { return bottom - (v - lo) / (hi - lo) * (bottom - top); };
  }
  function ticks(svg, lo, hi, y, x0, x1, cur) {
    for (var i = 0; i <= 4; i++) {
      var v = lo + (hi - lo) * i / 4, yy = y(v);
      svg.appendChild(el("line", {x1: x0, x2: x1, y1: yy, y2: yy, "class": "grid"}));
      svg.appendChild(el("text", {x: x0 - 6, y: yy + 3, "text-anchor": "end", "class": "tick"}, fmt(v) + " " + cur));
    }
  }
  function series(s, groupBy) {
    var box = document.createElement("div"); box.className = "cur";
    var ps = s.periods, n = ps.length;
    var h = document.createElement("h2");
    h.textContent = s.currency + ": cumulative realized PnL, and volume and fees per " + groupBy;
    box.appendChild(h);
    if (!n) { return box; }
    var H = TOP + BOT + 46, svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img"});
    var step = (W - L - R) / n, xc = function (i) { return L + step * (i + 0.5); };
    var cum = ps.map(function (p) { return num(p.cumulative_realized_pnl); });
    var net = ps.map(function (p) { return num(p.cumulative_net_realized_pnl); });
    var all = cum.concat(net);
    var lo = Math.min(0, Math.min.apply(null, all)), hi = Math.max(0, Math.max.apply(null, all));
    var pad = (hi - lo) * 0.08 || 1; lo -= pad; hi += pad;
    var y = scale(lo, hi, 10, TOP);
    ticks(svg, lo, hi, y, L, W - R, s.currency);
    svg.appendChild(el("line", {x1: L, x2: W - R, y1: y(0), y2: y(0), "class": "zero"}));
    function line(vals, cls) {
      var d = vals.map(function (v, i) {
        return (i ? "L" : "M") + xc(i).toFixed(1) + " " + y(v).toFixed(1);
      }).join(" ");
      svg.appendChild(el("path", {d: d, "class": cls}));
    }
    line(cum, "pnl"); line(net, "net");
    var vols = ps.map(function (p) { return num(p.quote_volume); });
    var fees = ps.map(function (p) { return num(p.fees); });
    var vmax = Math.max.apply(null, vols) || 1, b0 = TOP + 24, b1 = TOP + BOT, vy = scale(0, vmax, b0, b1);
    ticks(svg, 0, vmax, vy, L, W - R, s.currency);
    var bw = Math.max(1, step * 0.7);
    ps.forEach(function (p, i) {
      var top = vy(vols[i]);
      var bar = el("rect", {x: xc(i) - bw / 2, y: top, width: bw, height: Math.max(0, b1 - top), "class": "vol"});
      bar.appendChild(el("title", {}, p.period + ": volume " + p.quote_volume + ", fees " + p.fees + " " + s.currency));
      svg.appendChild(bar);
      var ftop = vy(fees[i]);
      var fh = Math.max(1, b1 - ftop);
      svg.appendChild(el("rect", {x: xc(i) - bw / 2, y: b1 - fh, width: bw, height: fh, "class": "fee"}));
    });
    svg.appendChild(el("line", {x1: L, x2: W - R, y1: b1, y2: b1, "class": "axis"}));
    var every = Math.max(1, Math.ceil(n / 12));
    ps.forEach(function (p, i) {
      if (i % every === 0 || i === n - 1) {
        svg.appendChild(el("text", {x: xc(i), y: b1 + 14, "text-anchor": "middle", "class": "tick"}, p.period));
      }
    });
    svg.appendChild(el("text", {x: (L + W - R) / 2, y: b1 + 32, "text-anchor": "middle", "class": "tick"},
      (groupBy === "day" ? "UTC day" : "UTC month") + " (" + s.currency + ")"));
    box.appendChild(svg);
    var last = ps[n - 1], lg = document.createElement("div"); lg.className = "legend";
    lg.innerHTML = '<span><i class="sw" style="background:#0969da"></i>cumulative realized PnL</span>' +
      '<span><i class="sw" style="background:#8250df"></i>after fees</span>' +
      '<span><i class="sw" style="background:#9ecbff;height:8px"></i>volume</span>' +
      '<span><i class="sw" style="background:#cf222e;height:8px"></i>fees</span>';
    var t = document.createElement("span");
    t.textContent = "to " + last.period + ": " + last.cumulative_realized_pnl + " " + s.currency + " (" +
      last.cumulative_net_realized_pnl + " after fees)";
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
