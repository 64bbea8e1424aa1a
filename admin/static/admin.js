/* gridbot admin: draws the overview's charts from the JSON the page carries, and asks before
   irreversible actions. No inline scripts anywhere (the CSP allows scripts from us only). */
(function () {
  "use strict";

  var PALETTE = ["#2563eb", "#c0392b", "#15803d", "#b45309", "#7c3aed", "#0891b2", "#be185d", "#52606d"];

  function byDay(data) {
    return {
      color: PALETTE, grid: { left: 40, right: 16, top: 16, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.map(function (d) { return d.name; }), boundaryGap: false },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "受理", type: "line", smooth: true, areaStyle: { opacity: 0.12 },
                 data: data.map(function (d) { return d.value; }) }]
    };
  }

  function pie(data) {
    return {
      color: PALETTE, tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"], data: data,
                 label: { formatter: "{b}\n{c}" } }]
    };
  }

  function bars(data, horizontal) {
    var names = data.map(function (d) { return d.name; });
    var values = data.map(function (d) { return d.value; });
    var category = { type: "category", data: names, axisLabel: { interval: 0 } };
    var value = { type: "value", minInterval: 1 };
    return {
      color: PALETTE, tooltip: { trigger: "axis" },
      grid: { left: horizontal ? 120 : 40, right: 24, top: 16, bottom: 28 },
      xAxis: horizontal ? value : category, yAxis: horizontal ? category : value,
      series: [{ type: "bar", data: values, barMaxWidth: 36, label: { show: true, position: horizontal ? "right" : "top" } }]
    };
  }

  function drawCharts() {
    var source = document.getElementById("chart-data");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var key = el.getAttribute("data-chart");
      var series = data[key] || [];
      var option = key === "day" ? byDay(series)
        : key === "intent" ? pie(series)
        : key === "courtyard" ? bars(series.slice().reverse(), true)
        : bars(series, false);
      if (!series.length) { el.textContent = "暂无数据"; el.className += " muted empty"; return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.documentElement.setAttribute("data-charts", String(charts.length));
  }

  function confirmations() {
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(); confirmations(); });
})();
