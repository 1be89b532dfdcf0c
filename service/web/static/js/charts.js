// Charts of the statistics pages, drawn with ECharts from the figures the page carries.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var font = getComputedStyle(document.body).fontFamily;
  var colours = { red: "#c81e1e", yellow: "#d97706", green: "#047857", closed: "#047857", running: "#1f4e79", none: "#9aa5b1" };
  var charts = [];

  function draw(id, option) {
    var holder = document.getElementById(id);
    if (!holder) return;
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    option.textStyle = { fontFamily: font };
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
    holder.setAttribute("data-ready", "true");
  }

  if (data.sections) {
    var s = data.sections;
    draw("chart-sections", {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: s.names },
      yAxis: { type: "value", minInterval: 1, name: "项" },
      series: [
        { name: "已办结", type: "bar", stack: "t", data: s.closed, itemStyle: { color: colours.closed } },
        { name: "办理中", type: "bar", stack: "t", data: s.running, itemStyle: { color: colours.running } },
        { name: "未启动", type: "bar", stack: "t", data: s.none, itemStyle: { color: colours.none } }
      ]
    });
  }
  if (data.lights) {
    draw("chart-lights", {
      tooltip: { trigger: "item", formatter: "{b}: {c} 个 ({d}%)" },
      legend: { bottom: 0 },
      series: [{
        type: "pie", radius: ["40%", "68%"], label: { formatter: "{b}\n{c}" },
        data: [
          { name: "红灯(超期)", value: data.lights.red, itemStyle: { color: colours.red } },
          { name: "黄灯(临期)", value: data.lights.yellow, itemStyle: { color: colours.yellow } },
          { name: "绿灯(正常)", value: data.lights.green, itemStyle: { color: colours.green } }
        ]
      }]
    });
  }
  if (data.units) {
    var names = data.units.slice().reverse();
    draw("chart-league", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: names, axisLabel: { width: 120, overflow: "truncate" } },
      series: [{
        name: "按时办结率", type: "bar", data: data.rate.slice().reverse(),
        label: { show: true, position: "right", formatter: "{c}%" },
        itemStyle: { color: function (p) { return p.value >= 90 ? colours.green : p.value >= 60 ? colours.yellow : colours.red; } }
      }]
    });
    var holder = document.getElementById("chart-league");
    if (holder) holder.style.height = Math.max(240, names.length * 22 + 40) + "px";
    charts.forEach(function (c) { c.resize(); });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

// The league tables (打擂台) and a key task's progress against 序时 (its page).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var font = getComputedStyle(document.body).fontFamily;
  var charts = [];

  function draw(id, option, height) {
    var holder = document.getElementById(id);
    if (!holder) return;
    if (height) holder.style.height = height + "px";
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    option.textStyle = { fontFamily: font };
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
    holder.setAttribute("data-ready", "true");
  }

  (data.scores || []).forEach(function (table, index) {
    var names = table.units.slice().reverse();
    draw("chart-league-" + index, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", scale: true },
      yAxis: { type: "category", data: names, axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ name: "得分", type: "bar", data: table.totals.slice().reverse(), label: { show: true, position: "right" },
                 itemStyle: { color: "#1f4e79" } }]
    }, Math.max(200, names.length * 22 + 30));
  });

  if (data.progress && data.progress.rounds && data.progress.rounds.length) {
    var p = data.progress;
    var series = p.series.map(function (s) {
      return { name: s.name, type: "line", connectNulls: true, symbolSize: 8, data: s.completion,
               tooltip: { valueFormatter: function (v) { return v == null ? "未报送" : v + "%"; } } };
    });
    series.push({ name: "序时进度", type: "line", data: p.expected, lineStyle: { type: "dashed", color: "#6b7280" },
                  itemStyle: { color: "#6b7280" }, symbol: "none" });
    draw("chart-progress", {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 16, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: p.rounds },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: series
    }, 300);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
