// Draw the dashboard charts from the page's JSON (json_script, so no
// customer text is ever evaluated). Clicking a point or a segment opens the
// admin list of exactly those cases. The tables above stay the source of
// truth: without JavaScript nothing is lost.
(function () {
  const source = document.getElementById("cx-charts");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  window.cxCharts = [];

  function openCases(urls) {
    return function (event, elements) {
      if (elements.length) window.location.href = urls[elements[0].index];
    };
  }

  const trend = document.getElementById("chart-trend");
  if (trend && data.trend) {
    window.cxCharts.push(new Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: [{ data: data.trend.counts, tension: 0.25, pointRadius: 2, borderColor: "#0d6efd" }],
      },
      options: {
        onClick: openCases(data.trend.urls),
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    }));
  }

  const tags = document.getElementById("chart-tags");
  if (tags && data.tags && data.tags.counts.length) {
    window.cxCharts.push(new Chart(tags, {
      type: "doughnut",
      data: { labels: data.tags.labels, datasets: [{ data: data.tags.counts }] },
      options: { onClick: openCases(data.tags.urls), plugins: { legend: { position: "bottom" } } },
    }));
  }
})();
