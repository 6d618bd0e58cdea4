// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
// A copy button beside each link or token shown once; without JavaScript the field is selectable.
for (const button of document.querySelectorAll("button[data-copy]")) {
  if (!navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copy);
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = button.dataset.copied;
    } catch (error) {
      // Permission refused: the text stays selected for a manual copy.
    }
  });
}
document.addEventListener("focusin", (event) => {
  if (event.target.classList && event.target.classList.contains("copy-field")) event.target.select();
});

function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  run.cancel = () => clearTimeout(timer);
  return run;
}

function csrfOf(form) {
  const field = form.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

function fieldsOf(form) {
  const data = new FormData(form);
  return {
    sector: data.get("sector") || "",
    jurisdictions: data.getAll("jurisdictions"),
    instruments: data.getAll("instruments"),
    tags: data.get("tags") || "",
  };
}

// Live preview and server-side drafts for every writing form.
function enhanceEditor(form) {
  const textarea = form.querySelector("textarea[name=body]");
  if (!textarea) return;
  const section = form.querySelector("[data-preview-section]");
  const target = document.getElementById(textarea.dataset.preview);
  const status = form.querySelector("[data-draft-status]");
  const key = textarea.dataset.draftKey;
  const title = form.querySelector("input[name=title]");
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrfOf(form) };

  const preview = debounce(async () => {
    if (!target || !section) return;
    const response = await fetch("/api/v1/preview", {
      method: "POST", headers, credentials: "same-origin", body: JSON.stringify({ body: textarea.value }),
    });
    if (!response.ok) return;
    const data = await response.json();
    target.innerHTML = data.html; // sanitised on the server, like every stored post
    section.hidden = textarea.value.trim() === "";
  }, 400);

  const saveDraft = debounce(async () => {
    if (!key) return;
    const body = { title: title ? title.value : "", body: textarea.value, fields: key === "thread" ? fieldsOf(form) : {} };
    try {
      const response = await fetch(`/api/v1/drafts/${encodeURIComponent(key)}`, {
        method: "PUT", headers, credentials: "same-origin", body: JSON.stringify(body),
      });
      if (status) status.textContent = response.ok ? "Draft saved." : "Draft not saved: check your connection.";
    } catch (error) {
      if (status) status.textContent = "Draft not saved: check your connection.";
    }
  }, 800);

  // Once the form is sent, no late autosave may bring the posted text back as a draft.
  let submitting = false;
  form.addEventListener("submit", () => { submitting = true; saveDraft.cancel(); preview.cancel(); });
  form.addEventListener("input", () => { if (!submitting) { preview(); saveDraft(); } });
  form.addEventListener("change", () => { if (!submitting) saveDraft(); });
}

window.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  document.querySelectorAll("form[data-editor]").forEach(enhanceEditor);
});
