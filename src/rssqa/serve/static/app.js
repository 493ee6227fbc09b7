// rssqa serve: upload images one after another to /api/assess and draw each answer.
// Everything shown comes from the server's JSON; text is set with textContent, never as HTML.
"use strict";

const fileInput = document.getElementById("file-input");
const dropZone = document.getElementById("drop-zone");
const progress = document.getElementById("progress");
const progressText = document.getElementById("progress-text");
const progressBar = document.getElementById("progress-bar");
const message = document.getElementById("message");
const results = document.getElementById("results");
const maxBytes = Number(document.getElementById("upload-form").dataset.maxBytes);

function showMessage(text) {
  message.textContent = text;
  message.hidden = false;
}

function setProgress(text, fraction) {
  progress.hidden = false;
  progressText.textContent = text;
  progressBar.classList.toggle("busy", fraction === null);
  progressBar.style.width = fraction === null ? "100%" : percent(fraction);
}

// XMLHttpRequest rather than fetch: it reports upload progress.
function postImage(file, onUploaded, onProgress) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/assess");
    request.responseType = "json";
    request.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    request.upload.onload = onUploaded;
    request.onload = () => resolve({ ok: request.status < 300, status: request.status,
                                     body: request.response || { detail: request.statusText } });
    request.onerror = () => resolve({ ok: false, status: 0,
                                      body: { detail: "the server could not be reached" } });
    const form = new FormData();
    form.append("file", file);
    request.send(form);
  });
}

async function assessFiles(files) {
  message.hidden = true;
  const failures = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const which = files.length > 1 ? ` (${i + 1} of ${files.length})` : "";
    if (file.size > maxBytes) {  // the server would refuse it too (413), after the upload
      failures.push(`${file.name}: larger than the server's limit of ` +
                    `${(maxBytes / 1048576).toFixed(0)} MB; send a smaller file`);
      showMessage(failures.join("\n"));
      continue;
    }
    const began = performance.now();
    let timer = null;
    const answer = await postImage(file, () => {
      const tick = () => setProgress(`Assessing ${file.name}${which}: every method segments and ` +
        `is scored… ${((performance.now() - began) / 1000).toFixed(0)} s`, null);
      tick();
      timer = setInterval(tick, 500);
    }, (f) => setProgress(`Uploading ${file.name}${which}`, f));
    clearInterval(timer);
    if (answer.ok) {
      results.prepend(renderResult(answer.body));
    } else {
      failures.push(`${file.name}: ${answer.body.detail || "refused"} (HTTP ${answer.status})`);
      showMessage(failures.join("\n"));
    }
  }
  progress.hidden = true;
  fileInput.value = "";
}

fileInput.addEventListener("change", () => assessFiles(Array.from(fileInput.files)));
["dragenter", "dragover"].forEach((type) => dropZone.addEventListener(type, (e) => {
  e.preventDefault();
  dropZone.classList.add("dragging");
}));
["dragleave", "drop"].forEach((type) => dropZone.addEventListener(type, () =>
  dropZone.classList.remove("dragging")));
dropZone.addEventListener("drop", (e) => {
  e.preventDefault();
  assessFiles(Array.from(e.dataTransfer.files));
});
