// Draws a cycle's diagram with bpmn-js and colours each step by its state (done, open, overdue);
// draws the path taken (each flow with how many times work went along it, a return in red), hides
// the boundary timers and what only they lead to until asked, and offers fit and zoom. The XML,
// the states and the flows come in the page (a JSON script tag), so no second request is needed.
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
  var LEGIBLE = 0.9; // below this bpmn-js's 12 px labels are too small to read
  var viewer = new window.BpmnJS({ container: holder });

  function hiddenByTimers(registry) {
    // Boundary events, and every element and flow reachable only through them.
    var hidden = {};
    var queue = registry.filter(function (e) { return e.type === "bpmn:BoundaryEvent"; });
    while (queue.length) {
      var element = queue.shift();
      if (hidden[element.id]) continue;
      hidden[element.id] = element;
      (element.outgoing || []).forEach(function (flow) {
        hidden[flow.id] = flow;
        var target = flow.target;
        var others = (target.incoming || []).filter(function (f) { return !hidden[f.id]; });
        if (!others.length && target.type !== "bpmn:UserTask") queue.push(target);
      });
    }
    return Object.keys(hidden).map(function (id) { return hidden[id]; });
  }

  function drawTaken(canvas, registry, overlays) {
    (data.flows || []).forEach(function (taken) {
      registry.filter(function (e) {
        return e.type === "bpmn:SequenceFlow" && e.source && e.target &&
          e.source.id === taken.source && e.target.id === taken.target;
      }).forEach(function (flow) {
        canvas.addMarker(flow.id, "taken");
        // The diagrams run left to right: a flow that ends left of where it starts is a return.
        var back = flow.waypoints[flow.waypoints.length - 1].x < flow.waypoints[0].x;
        if (taken.count < 2 && !back) return;
        var middle = flow.waypoints[Math.floor(flow.waypoints.length / 2)];
        var left = Math.min.apply(null, flow.waypoints.map(function (p) { return p.x; }));
        var top = Math.min.apply(null, flow.waypoints.map(function (p) { return p.y; }));
        var badge = document.createElement("span");
        badge.className = "flow-count" + (back ? " back" : "");
        badge.textContent = (back ? "退回 " : "") + taken.count + " 次";
        badge.setAttribute("data-flow", flow.id);
        overlays.add(flow.id, "flow-count", {
          position: { left: middle.x - left - 18, top: middle.y - top - 9 },
          html: badge,
        });
      });
    });
  }

  function legible(canvas, registry) {
    // The whole diagram if it reads at that size; else legible and centred on the open step.
    canvas.zoom("fit-viewport", "auto");
    if (canvas.zoom() >= LEGIBLE) return;
    var open = registry.filter(function (e) {
      return data.states[e.id] === "open" || data.states[e.id] === "overdue";
    })[0];
    var box = canvas.viewbox();
    var at = open ? { x: open.x + open.width / 2, y: open.y + open.height / 2 }
                  : { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    canvas.zoom(LEGIBLE, at);
    var now = canvas.viewbox();
    canvas.viewbox({ x: at.x - now.width / 2, y: at.y - now.height / 2, width: now.width, height: now.height });
  }

  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    Object.keys(data.states).forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, "state-" + data.states[id]);
    });
    drawTaken(canvas, registry, overlays);
    var timers = hiddenByTimers(registry);
    function showTimers(shown) {
      timers.forEach(function (e) {
        if (shown) canvas.removeMarker(e.id, "timer-hidden"); else canvas.addMarker(e.id, "timer-hidden");
      });
    }
    showTimers(false);
    legible(canvas, registry);
    document.querySelectorAll("[data-diagram]").forEach(function (control) {
      var what = control.getAttribute("data-diagram");
      control.addEventListener(what === "timers" ? "change" : "click", function () {
        if (what === "fit") canvas.zoom("fit-viewport", "auto");
        if (what === "in") canvas.zoom(canvas.zoom() * 1.25);
        if (what === "out") canvas.zoom(canvas.zoom() / 1.25);
        if (what === "timers") showTimers(control.checked);
        holder.setAttribute("data-zoom", canvas.zoom().toFixed(3));
      });
    });
    holder.setAttribute("data-zoom", canvas.zoom().toFixed(3));
    holder.setAttribute("data-ready", "true");
  }).catch(function (error) {
    holder.textContent = "流程图无法显示:" + (error && error.message ? error.message : error);
  });
})();
