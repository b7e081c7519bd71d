// Draws every plotly figure the server put in the page as JSON: a
// <script type="application/json" id="figure-X"> is drawn into the element with id "X".
(function () {
  var PREFIX = "figure-";
  function draw(root) {
    if (!window.Plotly) return;
    root.querySelectorAll('script[type="application/json"][id^="' + PREFIX + '"]').forEach(function (node) {
      var target = document.getElementById(node.id.slice(PREFIX.length));
      if (!target || target.dataset.drawn) return;
      var figure = JSON.parse(node.textContent);
      target.dataset.drawn = "1";
      window.Plotly.newPlot(target, figure.data, figure.layout, {
        responsive: true,
        displaylogo: false,
        displayModeBar: false,
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt); });
})();
