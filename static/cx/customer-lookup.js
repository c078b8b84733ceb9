// Staff entry's customer lookup (templates/admin/feedback/case/staff_entry.html).
// As the agent types a contact, the admin's JSON endpoint says which known
// customers it may be; choosing one fills the form. Customer text is only
// ever set as textContent, never as HTML.
(function () {
  "use strict";

  const box = document.getElementById("customer-lookup");
  if (!box) {
    return;
  }
  const form = box.closest("form");
  const list = box.querySelector("[data-matches]");
  const elsewhere = box.querySelector("[data-known-elsewhere]");
  const picked = box.querySelector("[data-picked]");
  const fields = ["name", "email", "phone", "customer_number"];
  // Wait for a pause in typing: one request per burst, not per key.
  const DELAY_MS = 250;
  let timer = null;
  let pending = null;

  function input(name) {
    return form.elements.namedItem(name);
  }

  function clear() {
    list.replaceChildren();
    elsewhere.hidden = true;
  }

  function fill(customer) {
    // A lookup still on its way must not bring the list back over the choice.
    clearTimeout(timer);
    if (pending) {
      pending.abort();
    }
    for (const name of fields) {
      input(name).value = customer[name] || "";
    }
    clear();
    picked.textContent = box.dataset.pickedText.replace("{name}", customer.name);
    input("subject").focus();
  }

  function render(data) {
    list.replaceChildren(
      ...data.results.map(function (customer) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "cx-match";
        button.dataset.customer = String(customer.id);
        button.textContent = [customer.name, customer.email, customer.phone, customer.customer_number]
          .filter(Boolean)
          .join(" · ");
        button.addEventListener("click", function () {
          fill(customer);
        });
        const item = document.createElement("li");
        item.append(button);
        return item;
      }),
    );
    elsewhere.hidden = !data.known_elsewhere;
  }

  async function lookUp(field, query) {
    if (pending) {
      pending.abort(); // an older answer must not replace a newer one
    }
    pending = new AbortController();
    const url = new URL(box.dataset.url, window.location.href);
    url.search = new URLSearchParams({ field: field, q: query }).toString();
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      });
      if (response.ok) {
        render(await response.json());
      } else {
        clear();
      }
    } catch (error) {
      if (error.name !== "AbortError") {
        clear();
      }
    }
  }

  for (const name of fields) {
    const field = input(name);
    field.addEventListener("input", function () {
      clearTimeout(timer);
      picked.textContent = "";
      const query = field.value.trim();
      if (query.length < 2) {
        clear();
        return;
      }
      timer = setTimeout(function () {
        lookUp(name, query);
      }, DELAY_MS);
    });
  }
  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      clear();
    }
  });
})();
