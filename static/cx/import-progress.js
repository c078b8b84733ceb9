// Follow a case import on its admin page: poll the progress endpoint named
// by the <progress> element and move the bar and counts; once the import has
// finished, reload so the page shows the outcome (counts or error report).
// Loaded with <script src> (the Content-Security-Policy allows no inline script).
(function () {
  const bar = document.getElementById("import-progress");
  if (!bar || !bar.dataset.url) return;
  const cells = {
    state_label: document.getElementById("import-state"),
    total_rows: document.getElementById("import-total"),
    created_cases: document.getElementById("import-created"),
    skipped_rows: document.getElementById("import-skipped"),
  };

  function show(progress) {
    bar.max = Math.max(progress.total_rows, 1);
    bar.value = progress.done_rows;
    bar.textContent = progress.done_rows + " / " + progress.total_rows;
    for (const [name, cell] of Object.entries(cells)) {
      if (cell) cell.textContent = progress[name];
    }
  }

  function poll() {
    fetch(bar.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((progress) => {
        show(progress);
        if (progress.finished) window.location.reload();
        else window.setTimeout(poll, 1000);
      })
      // A blip (a restart, a lost connection): try again a little later.
      .catch(() => window.setTimeout(poll, 5000));
  }

  window.setTimeout(poll, 1000);
})();
