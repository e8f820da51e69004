// Hypha explorer: the charts of the page (uPlot) and its live updates.
// The server renders every page; this script only draws the charts it
// names and, on every block the server announces on /live, fetches the
// page's content again (the X-Hypha-Fragment header) and swaps it in.
(function () {
  "use strict";

  var charts = [];

  var SERIES = {
    jobs: {
      series: [
        { label: "submitted", stroke: "#2563eb", width: 2 },
        { label: "settled", stroke: "#16a34a", width: 2 },
        { label: "refunded or slashed", stroke: "#dc2626", width: 2 },
        { label: "audited", stroke: "#9333ea", width: 2 }
      ],
      data: function (d) { return [d.t, d.submitted, d.settled, d.failed, d.audited]; }
    },
    price: {
      series: [{ label: "HYPHA per unit", stroke: "#ea580c", width: 2, spanGaps: true,
                 points: { show: true } }],
      data: function (d) { return [d.t, d.price]; }
    },
    latency: {
      series: [{ label: "seconds", stroke: "#0891b2", width: 2, spanGaps: true,
                 points: { show: true } }],
      data: function (d) { return [d.t, d.latency]; }
    }
  };

  // At least `span` seconds of x axis, ending at the last point: a chart of
  // a young chain shows its few minutes, not a scale of years.
  function range(span) {
    return function (u, min, max) {
      if (min == null || max == null) { return [min, max]; }
      return [Math.min(min, max - span), max + span / 30];
    };
  }

  function plot(el, series, data, span) {
    var width = Math.max(260, el.clientWidth - 16);
    var opts = {
      width: width,
      height: 170,
      scales: { x: { time: true, range: range(span) } },
      series: [{}].concat(series),
      legend: { show: true }
    };
    charts.push(new uPlot(opts, data, el));
  }

  function draw() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    if (typeof uPlot === "undefined") { return; }
    var market = Array.prototype.filter.call(
      document.querySelectorAll("div.chart[data-chart]"),
      function (el) { return SERIES[el.dataset.chart]; });
    if (market.length) {
      fetch("/api/market.json", { cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          market.forEach(function (el) {
            var kind = SERIES[el.dataset.chart];
            plot(el, kind.series, kind.data(d), 1800);
          });
        })
        .catch(function () {});
    }
    document.querySelectorAll("div.chart[data-chart=reputation]").forEach(function (el) {
      var points = JSON.parse(el.dataset.points || "[[],[]]");
      plot(el, [{ label: "score %", stroke: "#2563eb", width: 2, points: { show: true } }],
           points, 120);
    });
  }

  var busy = false;
  var again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { headers: { "X-Hypha-Fragment": "1" }, cache: "no-store" })
      .then(function (r) {
        // Only the same page: not a not-found page while a restarted
        // explorer catches up, not a proxy's error page.
        return String(r.status) === document.body.dataset.status ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        document.getElementById("content").innerHTML = html;
        draw();
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function lost() {
    var banner = document.getElementById("health");
    if (banner) {
      banner.className = "banner down";
      banner.dataset.health = "explorer-unreachable";
      banner.textContent = "The explorer does not answer; retrying…";
    }
  }

  draw();
  if (window.EventSource) {
    var source = new EventSource("/live");
    source.onmessage = refresh;
    source.onerror = lost;
    source.onopen = refresh;
  }
})();
