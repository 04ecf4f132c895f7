"use strict";
// geomlab explorer: draws the page from the JSON block above. Every text that comes from
// data goes in through textContent or setAttribute, never as markup.
(function () {
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  const D = JSON.parse($("geomlab-data").textContent);

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function fmt(x) {
    if (x === 0) return "0";
    const a = Math.abs(x);
    return a >= 1e-3 && a < 1e5 ? x.toPrecision(4) : x.toExponential(3);
  }
  function fmtT(t) { return t >= 10 ? t.toFixed(1) : t.toPrecision(3); }
  function extent(v) {
    let lo = Infinity, hi = -Infinity;
    for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
    return [lo, hi];
  }
  // a token's text with its spaces and line breaks made visible
  function tok(t) { return t.replace(/ /g, "\u2423").replace(/\n/g, "\u21b5"); }

  // -- packed float32 vectors (see geomlab.explorer.gather.pack) -----------------------
  async function unpack(p) {
    const bin = atob(p.f32);
    const raw = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) raw[i] = bin.charCodeAt(i);
    const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("deflate"));
    const planes = new Uint8Array(await new Response(stream).arrayBuffer());
    const n = p.n, bytes = new Uint8Array(4 * n);
    for (let b = 0; b < 4; b++) {
      for (let i = 0, o = b * n; i < n; i++) bytes[4 * i + b] = planes[o + i];
    }
    const view = new DataView(bytes.buffer), out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const unpacked = new Map();
  function values(p) {
    if (!unpacked.has(p)) unpacked.set(p, unpack(p));
    return unpacked.get(p);
  }

  // -- softmax as geomlab.softmax computes it: s = (z - max z) / T, p = exp(s - ln sum e^s)
  function softmax(z, T, keep) {
    let m = -Infinity;
    for (let i = 0; i < z.length; i++) if (z[i] > m) m = z[i];
    const s = new Float64Array(z.length);
    let sum = 0;
    for (let i = 0; i < z.length; i++) { s[i] = (z[i] - m) / T; sum += Math.exp(s[i]); }
    const lse = Math.log(sum);
    let H = 0, top = 0;
    const probs = new Float64Array(Math.min(keep || 0, z.length));
    for (let i = 0; i < z.length; i++) {
      const p = Math.exp(s[i] - lse);
      if (p > 0) H -= p * Math.log(p);
      if (p > top) top = p;
      if (i < probs.length) probs[i] = p;
    }
    return { probs, entropy: H, top, effective: Math.exp(H), n: z.length, lse, s };
  }

  // -- temperature ----------------------------------------------------------------------
  let T = 1;
  const slider = $("temperature"), tOut = $("t-value");
  const listeners = [];
  let pending = false;
  function setT() {
    T = Math.pow(10, Number(slider.value));
    tOut.textContent = "T = " + fmtT(T);
    tOut.dataset.t = String(T);
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => { pending = false; for (const f of listeners) f(); });
    }
  }
  slider.addEventListener("input", setT);
  $("t-reset").addEventListener("click", () => { slider.value = "0"; setT(); });

  function setValue(node, x, text) {
    node.textContent = text === undefined ? fmt(x) : text;
    node.dataset.value = String(x);
    node.dataset.t = String(T);
  }

  // -- 1. the dial ----------------------------------------------------------------------
  const dials = D.dials.slice();
  const model = D.model;
  if (model.available) for (const p of model.prompts) dials.push(p.dial);
  let dial = null, curveOf = new Map();

  function initDial() {
    const select = $("dial-select"), groups = new Map();
    for (const [i, d] of dials.entries()) {
      if (!groups.has(d.group)) {
        groups.set(d.group, el("optgroup", { label: d.group }));
        select.appendChild(groups.get(d.group));
      }
      groups.get(d.group).appendChild(el("option", { value: String(i) }, d.label));
    }
    if (!model.available) {
      const m = $("dial-model-missing");
      m.textContent = "The language model's next-token distributions are not in this page: "
        + model.reason + " Add the model with: " + model.install
        + " and build the page again.";
      m.hidden = false;
    }
    if (!dials.length) { $("dial-note").textContent = "No distribution to show."; return; }
    select.addEventListener("change", () => chooseDial(Number(select.value)));
    listeners.push(drawDial);
    return chooseDial(0);
  }

  async function chooseDial(i) {
    dial = dials[i];
    $("dial-select").value = String(i);
    $("dial-note").textContent = dial.note;
    $("dial-n").textContent = dial.n.toLocaleString("en");
    await values(dial.logits);
    drawDial();
  }

  async function curve(d) {
    if (!curveOf.has(d)) {
      const z = await values(d.logits), pts = [];
      for (let e = -2; e <= 2.0001; e += 0.125) {
        const r = softmax(z, Math.pow(10, e), 0);
        pts.push([e, d.n > 1 ? r.entropy / Math.log(d.n) : 0, r.top]);
      }
      curveOf.set(d, pts);
    }
    return curveOf.get(d);
  }

  async function drawDial() {
    if (!dial) return;
    const d = dial, z = await values(d.logits);
    if (d !== dial) return;
    const r = softmax(z, T, d.labels.length);
    setValue($("dial-entropy"), r.entropy);
    setValue($("dial-top"), r.top);
    setValue($("dial-eff"), r.effective);
    $("dial-top-word").textContent = d.labels[0];
    const bars = $("dial-bars");
    clear(bars);
    for (let i = 0; i < Math.min(12, d.labels.length); i++) {
      const row = el("div", { class: "bar" });
      row.appendChild(el("span", { class: "lab", title: d.labels[i] }, tok(d.labels[i])));
      const track = el("span"), fill = el("div", { class: "fill" });
      fill.style.width = (100 * r.probs[i]).toFixed(3) + "%";
      track.appendChild(fill);
      row.appendChild(track);
      row.appendChild(el("span", { class: "p" }, fmt(r.probs[i])));
      bars.appendChild(row);
    }
    drawCurve(await curve(d));
  }

  function drawCurve(pts) {
    const svg = $("dial-curve"), W = 420, H = 220, L = 34, R = 18, Tp = 10, B = 26;
    const x = (e) => L + (e + 2) / 4 * (W - L - R), y = (v) => Tp + (1 - v) * (H - Tp - B);
    clear(svg);
    svg.appendChild(sv("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: "#999" }));
    svg.appendChild(sv("line", { x1: L, y1: y(0), x2: L, y2: y(1), stroke: "#999" }));
    for (const e of [-2, -1, 0, 1, 2]) {
      svg.appendChild(sv("text", { x: x(e), y: H - 8, "text-anchor": "middle" },
        String(Math.pow(10, e))));
    }
    for (const v of [0, 0.5, 1]) {
      svg.appendChild(sv("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, String(v)));
    }
    for (const [k, colour] of [[1, "#4c78a8"], [2, "#f58518"]]) {
      const path = pts.map((p) => x(p[0]).toFixed(1) + "," + y(p[k]).toFixed(1)).join(" ");
      svg.appendChild(sv("polyline", { points: path, fill: "none", stroke: colour,
        "stroke-width": 2 }));
    }
    const e = Math.log10(T);
    svg.appendChild(sv("line", { x1: x(e), y1: y(0), x2: x(e), y2: y(1), stroke: "#d62728",
      "stroke-dasharray": "3 3" }));
  }

  // -- 2. the map -----------------------------------------------------------------------
  function initMap() {
    const M = D.map, svg = $("map-svg"), W = 800, H = 560, pad = 24;
    $("map-about").textContent = M.n.toLocaleString("en") + " words mapped to 2-D by "
      + M.method + " (cosine geometry; trustworthiness " + M.trustworthiness
      + " with 10 neighbors: how many of each point's map neighbors are neighbors in the "
      + "full space). Wheel to zoom, drag to pan.";
    const xs = M.x, ys = M.y;
    const [x0, x1] = extent(xs), [y0, y1] = extent(ys);
    const k0 = Math.min((W - 2 * pad) / (x1 - x0 || 1), (H - 2 * pad) / (y1 - y0 || 1));
    // centred, one scale for both axes (distances keep their proportions)
    const ox = (W - (x1 - x0) * k0) / 2, oy = (H - (y1 - y0) * k0) / 2;
    const view = { k: 1, tx: 0, ty: 0 };
    const px = (i) => (ox + (xs[i] - x0) * k0) * view.k + view.tx;
    const py = (i) => (H - oy - (ys[i] - y0) * k0) * view.k + view.ty;
    const gPts = sv("g"), gLab = sv("g");
    svg.appendChild(gPts);
    svg.appendChild(gLab);
    const dots = [];
    for (let i = 0; i < M.n; i++) {
      const c = sv("circle", { r: 2.6, class: "pt" });
      c.dataset.i = String(i);
      c.dataset.word = M.vocab[i];
      gPts.appendChild(c);
      dots.push(c);
    }
    const list = $("map-words");
    for (let i = 0; i < M.n; i++) list.appendChild(el("option", { value: M.vocab[i] }));
    let selected = null, labelled = [];

    function place() {
      for (let i = 0; i < M.n; i++) {
        dots[i].setAttribute("cx", px(i).toFixed(1));
        dots[i].setAttribute("cy", py(i).toFixed(1));
      }
      for (const [i, t] of labelled) {
        t.setAttribute("x", (px(i) + 5).toFixed(1));
        t.setAttribute("y", (py(i) - 4).toFixed(1));
      }
    }
    function toSvg(ev) {
      const p = svg.createSVGPoint();
      p.x = ev.clientX;
      p.y = ev.clientY;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    }
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const p = toSvg(ev), f = Math.exp(-ev.deltaY * 0.0015);
      const k = Math.min(60, Math.max(0.5, view.k * f)), g = k / view.k;
      view.tx = p.x - (p.x - view.tx) * g;
      view.ty = p.y - (p.y - view.ty) * g;
      view.k = k;
      svg.dataset.zoom = String(view.k);
      place();
    }, { passive: false });
    let drag = null;
    svg.addEventListener("pointerdown", (ev) => {
      drag = { p: toSvg(ev), tx: view.tx, ty: view.ty, moved: false };
    });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const p = toSvg(ev);
      if (Math.abs(p.x - drag.p.x) + Math.abs(p.y - drag.p.y) > 3) drag.moved = true;
      if (drag.moved) {
        view.tx = drag.tx + p.x - drag.p.x;
        view.ty = drag.ty + p.y - drag.p.y;
        place();
      }
    });
    const endDrag = () => { drag = null; };
    svg.addEventListener("pointerup", (ev) => {
      const clicked = drag && !drag.moved && ev.target.dataset && ev.target.dataset.i;
      endDrag();
      if (clicked) select(Number(ev.target.dataset.i));
    });
    svg.addEventListener("pointerleave", endDrag);
    $("map-reset").addEventListener("click", () => {
      view.k = 1; view.tx = 0; view.ty = 0; svg.dataset.zoom = "1"; place();
    });

    const tip = $("tip");
    svg.addEventListener("mouseover", (ev) => {
      if (!ev.target.dataset || ev.target.dataset.i === undefined) return;
      const i = Number(ev.target.dataset.i);
      tip.textContent = M.vocab[i] + "\nrank " + M.rank[i].toLocaleString("en")
        + " · norm " + M.norm[i];
      tip.dataset.word = M.vocab[i];
      const box = svg.getBoundingClientRect(), s = box.width / W;
      tip.style.left = (px(i) * s + 12) + "px";
      tip.style.top = (py(i) * s + 12) + "px";
      tip.hidden = false;
    });
    svg.addEventListener("mouseout", (ev) => {
      if (ev.target.dataset && ev.target.dataset.i !== undefined) tip.hidden = true;
    });

    function label(i, cls) {
      const t = sv("text", { class: cls }, M.vocab[i]);
      gLab.appendChild(t);
      labelled.push([i, t]);
    }
    function select(i) {
      for (const d of gPts.querySelectorAll(".hl, .nb")) d.classList.remove("hl", "nb");
      clear(gLab);
      labelled = [];
      selected = i;
      const nbList = $("nb-list");
      clear(nbList);
      $("nb-title").textContent = "nearest neighbors of " + M.vocab[i];
      $("nb-title").dataset.word = M.vocab[i];
      M.neighbors[i].forEach((j, r) => {
        const li = el("li");
        li.dataset.word = M.vocab[j];
        if (j < M.n) {
          const b = el("button", { type: "button" }, M.vocab[j]);
          b.addEventListener("click", () => select(j));
          li.appendChild(b);
          dots[j].classList.add("nb");
          gPts.appendChild(dots[j]);
          label(j, "nb");
        } else {
          li.appendChild(el("span", { class: "word", title: "not on the map" }, M.vocab[j]));
        }
        li.appendChild(document.createTextNode(" " + M.cosines[i][r].toFixed(4)));
        nbList.appendChild(li);
      });
      dots[i].classList.add("hl");
      gPts.appendChild(dots[i]);  // drawn last: on top
      label(i, "hl");
      place();
      $("search-status").textContent = "";
    }
    const index = new Map(), folded = new Map();
    for (let i = 0; i < M.n; i++) {
      index.set(M.vocab[i], i);
      const f = M.vocab[i].toLowerCase();
      if (!folded.has(f)) folded.set(f, i);
    }
    $("search-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const q = $("search").value.trim();
      if (!q) return;
      const i = index.has(q) ? index.get(q) : folded.get(q.toLowerCase());
      if (i === undefined) {
        $("search-status").textContent = "\u201c" + q + "\u201d is not among the "
          + M.n.toLocaleString("en") + " words of the map";
        return;
      }
      select(i);
    });
    place();
    return selected;
  }

  // -- 3. analogies ---------------------------------------------------------------------
  let question = null;
  function initAnalogies() {
    const select = $("analogy-select");
    D.analogies.forEach((q, i) => {
      select.appendChild(el("option", { value: String(i) },
        q.a + " : " + q.b + " :: " + q.c + " : ?"));
    });
    if (!D.analogies.length) { $("analogy-note").textContent = "No question to show."; return; }
    select.addEventListener("change", () => chooseQuestion(Number(select.value)));
    listeners.push(drawAnswers);
    return chooseQuestion(0);
  }

  async function chooseQuestion(i) {
    question = D.analogies[i];
    const q = question;
    $("analogy-note").textContent = "3CosAdd cosines over the " + q.pool.toLocaleString("en")
      + " most frequent words, the inputs excluded (" + q.n.toLocaleString("en")
      + " candidates); expected answer \u201c" + q.expected + "\u201d"
      + (q.expected_rank ? ", ranked " + q.expected_rank.toLocaleString("en")
        : ", not among them") + ".";
    drawParallelogram(q);
    await values(q.logits);
    drawAnswers();
  }

  function drawParallelogram(q) {
    const svg = $("para"), W = 420, H = 320, pad = 40;
    clear(svg);
    const P = q.points, all = [P.a, P.b, P.c, P.target, ...q.answers.map((r) => [r[1], r[2]])];
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    const [x0, x1] = extent(xs), [y0, y1] = extent(ys);
    const k = Math.min((W - 2 * pad) / (x1 - x0 || 1), (H - 2 * pad) / (y1 - y0 || 1));
    const ox = (W - (x1 - x0) * k) / 2, oy = (H - (y1 - y0) * k) / 2;
    const X = (p) => ox + (p[0] - x0) * k, Y = (p) => H - oy - (p[1] - y0) * k;
    const line = (a, b, attrs) => svg.appendChild(sv("line", Object.assign(
      { x1: X(a), y1: Y(a), x2: X(b), y2: Y(b), stroke: "#4c78a8", "stroke-width": 2 }, attrs)));
    line(P.a, P.b);
    line(P.c, P.target);
    line(P.a, P.c, { stroke: "#aab", "stroke-dasharray": "4 3", "stroke-width": 1 });
    line(P.b, P.target, { stroke: "#aab", "stroke-dasharray": "4 3", "stroke-width": 1 });
    for (const r of q.answers) {
      const p = [r[1], r[2]], hit = r[0] === q.expected;
      svg.appendChild(sv("circle", { cx: X(p), cy: Y(p), r: 4,
        fill: hit ? "#2ca02c" : "#999" }));
      svg.appendChild(sv("text", { x: X(p) + 6, y: Y(p) + 12 }, r[0]));
    }
    for (const [name, p, text] of [["a", P.a, q.a], ["b", P.b, q.b], ["c", P.c, q.c],
      ["target", P.target, "b \u2212 a + c"]]) {
      svg.appendChild(sv("circle", { cx: X(p), cy: Y(p), r: 5,
        fill: name === "target" ? "#d62728" : "#4c78a8" }));
      svg.appendChild(sv("text", { x: X(p) + 7, y: Y(p) - 6 }, text));
    }
  }

  async function drawAnswers() {
    if (!question) return;
    const q = question, z = await values(q.logits);
    if (q !== question) return;
    const r = softmax(z, T, q.labels.length), body = $("analogy-table").tBodies[0];
    clear(body);
    const rows = [];
    for (let i = 0; i < Math.min(10, q.labels.length); i++) rows.push(i);
    if (q.expected_rank && q.expected_rank > rows.length) rows.push(q.expected_rank - 1);
    for (const i of rows) {
      const word = i < q.labels.length ? q.labels[i] : q.expected;
      const p = i < r.probs.length ? r.probs[i] : Math.exp(r.s[i] - r.lse);
      const tr = el("tr", word === q.expected ? { class: "expected" } : {});
      tr.dataset.word = word;
      tr.appendChild(el("td", { class: "num" }, (i + 1).toLocaleString("en")));
      tr.appendChild(el("td", { class: "word" }, word));
      tr.appendChild(el("td", { class: "num" }, z[i].toFixed(4)));
      const pc = el("td", { class: "num" });
      setValue(pc, p);
      tr.appendChild(pc);
      const bar = el("td", { class: "barcell" }), fill = el("div", { class: "fill" });
      fill.style.width = (100 * p).toFixed(3) + "%";
      bar.appendChild(fill);
      tr.appendChild(bar);
      body.appendChild(tr);
    }
  }

  // -- 4. inside the model ------------------------------------------------------------------
  function initModel() {
    if (!model.available) {
      const m = $("model-missing");
      m.appendChild(el("p", {}, "The language model is not in this page: " + model.reason));
      m.appendChild(el("p", {}, "Add it with"));
      m.appendChild(el("pre", {}, model.install));
      m.appendChild(el("p", {}, "then build the page again (geomlab explore)."));
      m.hidden = false;
      $("model-body").hidden = true;
      return;
    }
    const ps = $("prompt-select"), ls = $("layer-select"), hs = $("head-select");
    model.prompts.forEach((p, i) => ps.appendChild(el("option", { value: String(i) }, p.text)));
    for (let l = 0; l < model.n_layers; l++) ls.appendChild(el("option", { value: String(l) },
      String(l)));
    for (let h = 0; h < model.n_heads; h++) hs.appendChild(el("option", { value: String(h) },
      String(h)));
    const redraw = () => drawModel(Number(ps.value), Number(ls.value), Number(hs.value));
    ps.addEventListener("change", redraw);
    ls.addEventListener("change", redraw);
    hs.addEventListener("change", redraw);
    return redraw();
  }

  async function drawModel(pi, layer, head) {
    const p = model.prompts[pi], n = p.tokens.length, att = await values(p.attention);
    const svg = $("attention"), cell = 26, left = 130, top = 110;
    clear(svg);
    const W = left + n * cell + 10, H = top + n * cell + 10;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("width", String(W));
    svg.setAttribute("height", String(H));
    const base = (layer * model.n_heads + head) * n * n;
    let meanH = 0;
    for (let i = 0; i < n; i++) {
      svg.appendChild(sv("text", { x: left - 6, y: top + i * cell + cell * 0.65,
        "text-anchor": "end" }, tok(p.tokens[i])));
      const t = sv("text", { x: 0, y: 0, "text-anchor": "start",
        transform: "translate(" + (left + i * cell + cell * 0.65) + "," + (top - 6) + ") rotate(-60)" },
        tok(p.tokens[i]));
      svg.appendChild(t);
      let h = 0;
      for (let j = 0; j <= i; j++) {
        const w = att[base + i * n + j];
        if (w > 0) h -= w * Math.log(w);
        const r = sv("rect", { x: left + j * cell, y: top + i * cell, width: cell - 1,
          height: cell - 1, fill: "#4c78a8", "fill-opacity": Math.max(0.02, w).toFixed(4) });
        r.appendChild(sv("title", {}, tok(p.tokens[i]) + " \u2192 " + tok(p.tokens[j]) + ": "
          + w.toFixed(4)));
        svg.appendChild(r);
      }
      meanH += h / n;
    }
    $("head-entropy").textContent = "mean row entropy of block " + layer + ", head " + head
      + ": " + meanH.toFixed(3) + " nats";
    const table = $("lens");
    clear(table);
    const hr = el("tr");
    hr.appendChild(el("th", {}, "after block"));
    for (const t of p.tokens) hr.appendChild(el("th", {}, tok(t)));
    table.appendChild(el("thead")).appendChild(hr);
    const body = table.appendChild(el("tbody"));
    for (let l = p.lens.top_tokens.length - 1; l >= 0; l--) {
      const tr = el("tr");
      tr.appendChild(el("th", {}, l === 0 ? "embedding" : String(l)));
      for (let i = 0; i < n; i++) {
        const pr = p.lens.top_probs[l][i];
        const td = el("td", { title: "entropy " + p.lens.entropy[l][i] + " nats" },
          tok(p.lens.top_tokens[l][i]) + "\n" + pr.toFixed(3));
        td.style.backgroundColor = "rgba(76, 120, 168, " + (0.75 * pr).toFixed(3) + ")";
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  // -- the page's frame ---------------------------------------------------------------------
  function initFrame() {
    const m = D.meta;
    $("source").textContent = m.source + " \u00b7 " + m.n_words.toLocaleString("en")
      + " words \u00d7 " + m.dim + " dims" + (model.available ? " \u00b7 " + model.name : "");
    $("footer").textContent = "Written by geomlab " + m.version + " in " + m.seconds
      + " s. Every score in this page was computed in Python; softmax, entropy and the "
      + "drawing run here, with no network request.";
    for (const n of m.notes) $("notes").appendChild(el("li", {}, n));
  }

  async function init() {
    initFrame();
    initMap();
    await Promise.all([initDial(), initAnalogies(), initModel()]);
    document.body.dataset.ready = "1";
  }
  init();
})();
