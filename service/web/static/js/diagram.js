// Draws a cycle's diagram with bpmn-js and colours each step by its state (done, open, overdue).
// The XML and the states come in the page (a JSON script tag), so no second request is needed.
(function () {
  "use strict";
  var holder = document.getElementById("diagram");
  var source = document.getElementById("diagram-data");
  if (!holder || !source) return;
  var data = JSON.parse(source.textContent);
  if (typeof window.BpmnJS !== "function") {
    holder.textContent = "流程图组件未能加载。";
    return;
  }
  var viewer = new window.BpmnJS({ container: holder });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    Object.keys(data.states).forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, "state-" + data.states[id]);
    });
    canvas.zoom("fit-viewport", "auto");
    holder.setAttribute("data-ready", "true");
  }).catch(function (error) {
    holder.textContent = "流程图无法显示:" + (error && error.message ? error.message : error);
  });
})();
