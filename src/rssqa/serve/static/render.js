// Draws one /api/assess answer into a copy of the page's result template.
"use strict";

// The experiment's target, as the page names it (what every predicted_oa holds).
const ACCURACY_NAMES = {oa: "overall accuracy", miou: "mIoU", f1: "F1"};

function accuracyName(target) {
  return target.startsWith("iou:") ? `${target.slice(4)} IoU` : ACCURACY_NAMES[target] || target;
}

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

function intervalText(interval) {
  return interval ? `${(100 * interval[0]).toFixed(1)}–${(100 * interval[1]).toFixed(1)}` : "no interval";
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
    if (row.interval) {  // whiskers drawn, and the numbers written beside them (not only on hover)
      const whisker = element("span", "whisker");
      whisker.style.left = percent(row.interval[0]);
      whisker.style.width = percent(row.interval[1] - row.interval[0]);
      track.append(whisker);
    }
    line.append(track, element("span", "bar-value", percent(row.predicted_oa)),
                element("span", "bar-interval" + (row.interval ? "" : " none"), intervalText(row.interval)));
    container.append(line);
  }
}

function drawDecision(card, data) {
  card.querySelector(".decision").textContent = data.decision + ".";
  card.querySelector(".no-winner").hidden = !data.no_clear_winner;
  const level = data.interval_level ? `${Math.round(100 * data.interval_level)}% interval` : "interval";
  card.querySelector(".scores-title").textContent =
    `Predicted ${accuracyName(data.accuracy)}` +
    `${data.interval_level ? ", with its " + level + " (%)" : ""}`;
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

// The heat map on the fixed 0-100 % scale unless "stretch" is ticked; the same picture can lie
// over the photo, with its own opacity.
function drawHeatmap(card, heatmap) {
  if (!heatmap) return;
  card.querySelector(".heatmap-block").hidden = false;
  card.querySelector(".heat-control").hidden = false;
  const equal = heatmap.high - heatmap.low < 1e-9;
  card.querySelector(".heatmap-method").textContent = `${heatmap.method}, predicted accuracy per ` +
    `tile (${heatmap.tiles} tiles${equal ? ", all equal: this assessor does not vary by tile" : ""})`;
  card.querySelector(".heatmap-range").textContent =
    `this image's tiles: ${percent(heatmap.low)} – ${percent(heatmap.high)}`;
  const stretch = card.querySelector(".stretch");
  const pictures = [card.querySelector(".heatmap"), card.querySelector(".heat-overlay")];
  const applyScale = () => {
    const stretched = stretch.checked;
    pictures.forEach((img) => { img.src = stretched ? heatmap.stretched_uri : heatmap.uri; });
    card.querySelector(".heatmap-scale .low").textContent = percent(stretched ? heatmap.low : heatmap.scale_low);
    card.querySelector(".heatmap-scale .high").textContent = percent(stretched ? heatmap.high : heatmap.scale_high);
    card.querySelector(".scale-kind").textContent = stretched
      ? "stretched to this image: colours are not comparable between images"
      : "fixed scale: the same colour means the same accuracy on every image";
  };
  stretch.addEventListener("change", applyScale);
  applyScale();
  bindOpacity(card.querySelector(".heat-slider"), pictures[1]);
}

function bindOpacity(slider, image) {
  const apply = () => { image.style.opacity = slider.value / 100; };
  slider.addEventListener("input", apply);
  apply();
}

// Only a GeoTIFF upload's answer has downloads: the scene's maps, cells and STAC item.
function drawGeoDownloads(card, downloads) {
  if (!downloads) return;
  const list = card.querySelector(".geo-list");
  for (const file of downloads) {
    const entry = element("li");
    entry.append(download(file.name, file.url, file.name), element("span", "geo-what", file.description));
    list.append(entry);
  }
  card.querySelector(".geo-downloads").hidden = false;
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
  drawDecision(card, data);
  card.querySelector(".photo").src = data.images.photo;
  const overlay = card.querySelector(".overlay");
  overlay.src = data.images.masks[data.recommended];
  bindOpacity(card.querySelector(".opacity-slider"), overlay);
  drawLegend(card.querySelector(".legend"), data.classes);
  drawBars(card.querySelector(".bars"), data);
  card.querySelector(".interval-note").textContent = data.interval_note;
  drawHeatmap(card, data.images.heatmap);
  drawMasks(card.querySelector(".masks"), data);
  drawGeoDownloads(card, data.downloads);
  return card;
}
