// Draws every plotly figure the server put in the page as JSON: a
// <script type="application/json" id="figure-X"> is drawn into the element with id "X", on load
// and after every htmx swap (charts arrive lazily, as fragments).
//
// plotly.js is fetched only when a figure is there to draw (the script tag's data-plotly names
// the bundle), so a page whose charts wait below the fold, or that has none, never pays for it,
// and its 1.5 MB never holds up DOMContentLoaded.
//
// A chart whose element has data-zoom-url refetches its traces when the x axis is zoomed: the
// server sends the window at full resolution (up to the same cap), and double-click or "reset
// axes" brings the overview back.
(function () {
  var PLOTLY = document.currentScript && document.currentScript.dataset.plotly;
  var NONCE = document.currentScript && document.currentScript.nonce;
  var PREFIX = "figure-";
  var SELECTOR = 'script[type="application/json"][id^="' + PREFIX + '"]';
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    displayModeBar: true,
    modeBarButtons: [["zoom2d", "pan2d", "resetScale2d", "toImage"]],
    toImageButtonOptions: { format: "png", scale: 2 },
  };

  function setNote(target, text) {
    var card = target.closest(".chart-card");
    var note = card && card.querySelector("[data-chart-note]");
    if (note) note.textContent = text || "";
  }

  function listenForZoom(target, figure) {
    var url = target.dataset.zoomUrl;
    if (!url) return;
    var overview = { data: figure.data, note: figure.note || "" };
    var pending = null;
    target.on("plotly_relayout", function (change) {
      if (change["xaxis.autorange"] || change.autosize) {
        if (pending) pending.abort();
        if (target.dataset.liveChanged) {
          // Points arrived since the overview was drawn: ask for the whole range again.
          fetchTraces(target, url, "");
          return;
        }
        window.Plotly.react(target, overview.data, target.layout);
        setNote(target, overview.note);
        return;
      }
      var x0 = change["xaxis.range[0]"];
      var x1 = change["xaxis.range[1]"];
      if (x0 === undefined || x1 === undefined) return;
      if (pending) pending.abort();
      pending = new AbortController();
      var query = "&x0=" + encodeURIComponent(x0) + "&x1=" + encodeURIComponent(x1);
      target.classList.add("is-loading");
      fetch(url + query, { credentials: "same-origin", signal: pending.signal })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (window_) {
          // Keep the user's ranges: react with the current layout redraws only the traces.
          window.Plotly.react(target, window_.data, target.layout);
          setNote(target, window_.note ? "zoomed: " + window_.note : "zoomed: every point shown");
        })
        .catch(function (error) {
          if (error.name !== "AbortError") setNote(target, "Could not load the zoomed points.");
        })
        .finally(function () {
          target.classList.remove("is-loading");
        });
    });
  }

  function fetchTraces(target, url, note) {
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (whole) {
        window.Plotly.react(target, whole.data, target.layout);
        setNote(target, note || whole.note || "");
      })
      .catch(function () {
        setNote(target, "Could not load the new points.");
      });
  }

  // Live charts (projects/live.py): the badge of a card whose runs are logging is polled by htmx
  // and comes back with data-live: new points to append to each run's trace (uid "run-<id>"),
  // the whole traces to draw instead, or "reload" for a card that must be built again.
  function applyLive(badge) {
    var target = document.getElementById(badge.dataset.chart);
    if (!target || !target.data || !window.Plotly) return;
    badge.dataset.applied = "1";
    var payload = JSON.parse(badge.dataset.live);
    var card = badge.closest(".chart-card");
    if (payload.mode === "reload") {
      if (card && card.dataset.cardUrl && window.htmx) {
        window.htmx.ajax("GET", card.dataset.cardUrl, { target: card, swap: "outerHTML" });
      }
      return;
    }
    target.dataset.liveChanged = "1";
    if (payload.mode === "replace") {
      window.Plotly.react(target, payload.data, target.layout);
      setNote(target, payload.note);
      return;
    }
    var xs = [], ys = [], indices = [], missing = false;
    Object.keys(payload.runs).forEach(function (runId) {
      var index = -1;
      for (var i = 0; i < target.data.length; i++) {
        if (target.data[i].uid === "run-" + runId) index = i;
      }
      if (index < 0) {
        missing = true;
        return;
      }
      var trace = target.data[index];
      var last = trace.x.length ? trace.x[trace.x.length - 1] : null;
      var points = payload.runs[runId], px = [], py = [];
      for (var k = 0; k < points.x.length; k++) {
        // The card was read after its cursor was taken: points it already has are skipped.
        if (last === null || points.x[k] > last) {
          px.push(points.x[k]);
          py.push(points.y[k]);
        }
      }
      if (px.length) {
        xs.push(px);
        ys.push(py);
        indices.push(index);
      }
    });
    if (indices.length) window.Plotly.extendTraces(target, { x: xs, y: ys }, indices);
    if (missing && target.dataset.zoomUrl) fetchTraces(target, target.dataset.zoomUrl, "");
  }

  // A page whose runs log live is sent a chart slot for each metric they begin to log
  // (projects/_chart_keys.html, appended out of band); one the page already shows is dropped.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fragment = event.detail.fragment;
    var slot = fragment && fragment.querySelector && fragment.querySelector("[data-chart-key]");
    if (!slot) return;
    var key = slot.getAttribute("data-chart-key");
    var shown = document.querySelectorAll("[data-chart-key]");
    for (var i = 0; i < shown.length; i++) {
      if (shown[i].getAttribute("data-chart-key") === key) event.detail.shouldSwap = false;
    }
  });

  function applyLiveBadges() {
    document.querySelectorAll(".live-state[data-live]:not([data-applied])").forEach(applyLive);
  }

  // htmx drops every <script> of a fragment it swaps in (allowScriptTags is off), so the figures
  // of a fragment are read from the response before the swap and drawn after it.
  var pending = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    var text = event.detail.serverResponse;
    if (!event.detail.shouldSwap || !text || text.indexOf('id="' + PREFIX) === -1) return;
    var doc = new DOMParser().parseFromString(text, "text/html");
    doc.querySelectorAll(SELECTOR).forEach(function (node) {
      pending[node.id] = node.textContent;
    });
  });

  // On a phone the legend wraps onto a row per two entries: it goes below the plot and the
  // figure grows by those rows, so the plot itself keeps a readable height.
  function fitPhone(target, figure) {
    var layout = figure.layout;
    if (target.clientWidth >= 480 || layout.showlegend === false) return;
    var entries = figure.data.filter(function (t) {
      return t.showlegend !== false && t.name;
    }).length;
    if (entries < 2 && !layout.showlegend) return;
    var base = typeof layout.height === "number" ? layout.height : target.clientHeight || 300;
    layout.height = Math.max(base, 260) + 24 * Math.ceil(entries / 2);
    layout.legend = Object.assign({}, layout.legend, { orientation: "h", y: -0.12, yanchor: "top" });
  }

  function plot(id, json) {
    var target = document.getElementById(id.slice(PREFIX.length));
    if (!target || target.dataset.drawn) return;
    var figure = JSON.parse(json);
    target.dataset.drawn = "1";
    fitPhone(target, figure);
    window.Plotly.newPlot(target, figure.data, figure.layout, CONFIG).then(function () {
      listenForZoom(target, figure);
    });
  }

  var loading = null;
  function withPlotly(then) {
    if (window.Plotly) return then();
    if (!PLOTLY) return;
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = PLOTLY;
        if (NONCE) script.nonce = NONCE;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    loading.then(then, function () {
      loading = null;
      document.querySelectorAll("[data-chart-note]").forEach(function (note) {
        note.textContent = "Could not load the chart library; reload the page to try again.";
      });
    });
  }

  function waiting() {
    if (document.querySelector(SELECTOR)) return true;
    return Object.keys(pending).some(function (id) {
      return document.getElementById(id.slice(PREFIX.length));
    });
  }

  function draw() {
    if (!waiting()) return;
    withPlotly(drawAll);
  }

  function drawAll() {
    document.querySelectorAll(SELECTOR).forEach(function (node) {
      plot(node.id, node.textContent);
    });
    Object.keys(pending).forEach(function (id) {
      if (!document.getElementById(id.slice(PREFIX.length))) return;
      var json = pending[id];
      delete pending[id];
      plot(id, json);
    });
  }

  // A chart that failed to load says so instead of "Loading…" for ever.
  document.addEventListener("htmx:responseError", function (event) {
    var slot = event.detail.elt;
    if (!slot.classList) return;
    var said = "Could not load this chart (" + event.detail.xhr.status + "). ";
    if (slot.classList.contains("chart-slot")) {
      var message = slot.querySelector(".chart-loading");
      if (message) message.textContent = said;
    } else if (slot.classList.contains("plan-chart-slot")) {
      // Keep the plain link to the chart's own page after the message.
      var line = slot.querySelector(".is-loading p");
      if (line && line.firstChild && line.firstChild.nodeType === Node.TEXT_NODE) line.firstChild.nodeValue = said;
    }
  });
  document.addEventListener("DOMContentLoaded", draw);
  // After a swap the new element may have replaced the one htmx reports, so look everywhere;
  // charts already drawn are skipped.
  document.addEventListener("htmx:afterSettle", draw);
  document.addEventListener("htmx:afterSettle", applyLiveBadges);
})();
