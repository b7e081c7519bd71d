// Milestone target form: the metric suggestions follow the chosen project.
(function () {
  "use strict";
  function bind(root) {
    var project = root.querySelector("select[name=target_project]");
    var metric = root.querySelector("input[name=target_metric]");
    if (!project || !metric) return;
    function update() {
      var list = document.getElementById("target-metrics-" + project.value);
      metric.setAttribute("list", list ? list.id : "target-metrics-all");
    }
    project.addEventListener("change", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-target-fields]").forEach(bind);
  });
})();
