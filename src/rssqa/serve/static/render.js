// Draws one /api/assess answer into a copy of the page's result template.
"use strict";

function percent(x) { return (100 * x).toFixed(1) + "%"; }

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function download(label, href, filename) {
  const link = element("a", "download", label);
  link.href = href;
  link.download = filename;
  return link;
}

function defaultNote(data) {
  if (data.default === null || data.default === undefined) return "";
  const gain = (data.predicted_gain >= 0 ? "+" : "") + (100 * data.predicted_gain).toFixed(1);
  return data.kept_default
    ? ` · safe default ${data.default} kept (best predicted gain ${gain} points is below its margin)`
    : ` · replaces the safe default ${data.default} (predicted gain ${gain} points)`;
}

function drawBars(container, data) {
  for (const row of data.methods) {
    const line = element("div", "bar-row" + (row.recommended ? " recommended" : ""));
    line.dataset.method = row.method;
    line.append(element("span", "bar-name", row.method + (row.default ? " (default)" : "")));
    const track = element("span", "bar-track");
    const bar = element("span", "bar");
    bar.style.width = percent(Math.max(0, Math.min(1, row.predicted_oa)));
    track.append(bar);
    if (row.interval) {
      const whisker = element("span", "whisker");
      whisker.style.left = percent(row.interval[0]);
      whisker.style.width = percent(row.interval[1] - row.interval[0]);
      whisker.title = `${percent(row.interval[0])} – ${percent(row.interval[1])}`;
      track.append(whisker);
    }
    line.append(track, element("span", "bar-value", percent(row.predicted_oa)));
    container.append(line);
  }
}

function drawLegend(list, classes) {
  for (const item of classes) {
    const entry = element("li");
    const swatch = element("span", "swatch");
    swatch.style.background = item.colour;
    entry.append(swatch, element("span", "", item.name));
    list.append(entry);
  }
}

function drawMasks(container, data) {
  for (const row of data.methods) {
    const figure = element("figure", row.recommended ? "recommended" : "");
    const image = element("img");
    image.src = data.images.masks[row.method];
    image.alt = `${row.method} segmentation`;
    const caption = element("figcaption", "", `${row.method} · ${percent(row.predicted_oa)} `);
    caption.append(download("PNG", image.src, `${data.image}_${row.method}.png`));
    figure.append(image, caption);
    container.append(figure);
  }
}

function drawHeatmap(card, heatmap) {
  if (!heatmap) return;
  card.querySelector(".heatmap-block").hidden = false;
  card.querySelector(".heatmap").src = heatmap.uri;
  const equal = heatmap.high - heatmap.low < 1e-9;
  card.querySelector(".heatmap-method").textContent = `${heatmap.method}, predicted accuracy per ` +
    `tile (${heatmap.tiles} tiles${equal ? ", all equal: this assessor does not vary by tile" : ""})`;
  card.querySelector(".heatmap-scale .low").textContent = percent(heatmap.low);
  card.querySelector(".heatmap-scale .high").textContent = percent(heatmap.high);
}

function scoresDownload(data) {
  const scores = Object.assign({}, data);
  delete scores.images;
  const blob = new Blob([JSON.stringify(scores, null, 2)], { type: "application/json" });
  return download("scores JSON", URL.createObjectURL(blob), `${data.image}_scores.json`);
}

function renderResult(data) {
  const card = document.getElementById("result-template").content.firstElementChild.cloneNode(true);
  card.querySelector(".image-name").textContent = data.image;
  card.querySelector(".image-facts").textContent =
    `${data.width} × ${data.height} px · ${data.tiles} tile${data.tiles > 1 ? "s" : ""} · ${data.seconds.toFixed(1)} s`;
  card.querySelector(".downloads").append(scoresDownload(data),
    download("mask PNG", data.images.masks[data.recommended], `${data.image}_${data.recommended}.png`));
  card.querySelector(".recommended-method").textContent = data.recommended;
  card.querySelector(".default-note").textContent = defaultNote(data);
  card.querySelector(".photo").src = data.images.photo;
  const overlay = card.querySelector(".overlay");
  overlay.src = data.images.masks[data.recommended];
  const slider = card.querySelector(".opacity-slider");
  const applyOpacity = () => { overlay.style.opacity = slider.value / 100; };
  slider.addEventListener("input", applyOpacity);
  applyOpacity();
  drawLegend(card.querySelector(".legend"), data.classes);
  drawBars(card.querySelector(".bars"), data);
  card.querySelector(".interval-note").textContent = data.interval_note;
  drawHeatmap(card, data.images.heatmap);
  drawMasks(card.querySelector(".masks"), data);
  return card;
}
