// Show the order fields first for complaints and claims; other kinds can
// still open them. Without JavaScript every field stays visible.
(function () {
  // After a failed submission, move focus to the error summary so keyboard
  // and screen-reader users start from the list of what to correct.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  const kind = document.getElementById("id_kind");
  const order = document.getElementById("order-fields");
  if (!kind || !order) return;
  const orderKinds = ["complaint", "claim"];
  function update() {
    const hasValue = Array.from(order.querySelectorAll("input")).some((i) => i.value);
    order.hidden = !orderKinds.includes(kind.value) && !hasValue;
  }
  kind.addEventListener("change", update);
  update();
})();
