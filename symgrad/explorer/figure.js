/* symgrad explorer, part 2 of 3: the figure. References to every node and edge group of
 * the inline SVG (found once, by the data-node and data-edge attributes Python added),
 * the numbers written on the figure (an overlay layer of <text>, created on first use and
 * then only updated), path highlighting, zoom and keeping the current node in view.
 * It reads the state explorer.js keeps through `c` and computes nothing. */
function symgradFigure(c) {
  var D = c.D, S = c.S, EDGES = D.edges, N = D.nodes.length, OUT = D.out;
  var SVGNS = "http://www.w3.org/2000/svg", fmt = c.fmt;
  var box = document.getElementById("sg-graph"), svg = box.querySelector("svg");
  var nodeEl = [], edgeEl = [], nodeText = [], edgeText = [], nodeBox = [], onPath = [];
  svg.querySelectorAll("g[data-node]").forEach(function (g) {
    nodeEl[+g.getAttribute("data-node")] = g;
  });
  svg.querySelectorAll("g[data-edge]").forEach(function (g) {
    edgeEl[+g.getAttribute("data-edge")] = g;
  });
  var layer = document.createElementNS(SVGNS, "g");
  layer.setAttribute("class", "sg-overlay" + (D.compact ? " sg-small" : ""));
  (svg.querySelector("g.graph") || svg).appendChild(layer);

  function overlay(store, i, place) {
    if (!store[i]) {
      var t = document.createElementNS(SVGNS, "text");
      place(t);
      layer.appendChild(t);
      store[i] = t;
    }
    return store[i];
  }
  function nodeLabel(k) {  // "grad = 57 = 1 + 56", "∂/∂x = 4", "grad = 1 so far"
    var v = c.known[k];
    if (S.pass === "values" || v === null || c.isConst(k)) return "";
    if (S.pass === "forward" && !c.reach[k]) return "";
    var t = c.terms[k];
    // A compact figure is packed tight: just the number there (the panels say the rest).
    if (D.compact && S.current.nodes.indexOf(k) < 0) return fmt(v) + (c.done[k] ? "" : "\u2026");
    var s = (S.pass === "reverse" ? "grad" : "\u2202/\u2202" + c.inputName[S.sel]) + " = " + fmt(v);
    if (S.pass === "reverse" && k === OUT && c.done[k]) return s + " (seed)";
    if (t.length > 1) s += " = " + c.sumText(t);
    return c.done[k] ? s : s + " so far";
  }
  function drawNode(k) {
    var g = nodeEl[k];
    if (!g) return;
    var cl = g.classList, skip = S.pass === "forward" && !c.reach[k], known = c.known[k];
    cl.toggle("sg-done", c.done[k] && !skip);
    cl.toggle("sg-skip", skip && c.done[k]);
    cl.toggle("sg-pending", S.pass === "values" && known === null);
    cl.toggle("sg-partial", S.pass === "reverse" && known !== null && !c.done[k]);
    cl.toggle("sg-current", S.current.nodes.indexOf(k) >= 0);
    var label = nodeLabel(k);
    if (!label && !nodeText[k]) return;
    var t = overlay(nodeText, k, function (t) {
      t.setAttribute("class", "sg-ov-node");
      t.setAttribute("data-ov", k);
    });
    var top = !!label && S.current.nodes.indexOf(k) >= 0;
    if (t.getAttribute("data-top") !== String(top)) place(t, k, top);
    t.textContent = label;
    t.classList.toggle("sg-ov-done", c.done[k]);
    t.classList.toggle("sg-ov-top", top);
    if (top) layer.appendChild(t);  // the current node's numbers go on top of the rest
  }
  function place(t, k, top) {
    // Above the node; in a compact figure, where nodes sit tight and the current step's
    // edges carry their own numbers, the current node's long label goes to its right.
    var b = nodeBox[k] || (nodeBox[k] = nodeEl[k].getBBox()), side = top && D.compact;
    t.setAttribute("x", side ? b.x + b.width + 3 : b.x + b.width / 2);
    t.setAttribute("y", side ? b.y + b.height / 2 + 2.5 : b.y - 3);
    t.setAttribute("text-anchor", side ? "start" : "middle");
    t.setAttribute("data-top", String(top));
  }
  function edgeLabel(j) {  // "local × upstream = contribution" on the current step's edges
    if (S.pass === "values" || S.current.edges.indexOf(j) < 0) return "";
    var s = c.steps()[S.step - 1], e = EDGES[j];
    for (var i = 0; i < s[2].length; i++) {
      var m = s[2][i];
      if (m[0] !== j) continue;
      if (S.pass === "reverse") return fmt(e[3]) + " \u00d7 " + fmt(s[1]) + " = " + fmt(m[1]);
      if (m[1] === null) return "tangent 0: skipped";
      return fmt(e[3]) + " \u00d7 " + fmt(c.known[e[2]]) + " = " + fmt(m[1]);
    }
    return "";
  }
  function drawEdge(j) {
    var g = edgeEl[j];
    if (!g) return;
    g.classList.toggle("sg-sent", c.sent[j]);
    g.classList.toggle("sg-current", S.current.edges.indexOf(j) >= 0);
    var label = edgeLabel(j);
    if (!label && !edgeText[j]) return;
    var t = overlay(edgeText, j, function (t) {
      var p = g.querySelector("path"), pt = p.getPointAtLength(p.getTotalLength() / 2);
      t.setAttribute("x", pt.x);
      t.setAttribute("y", pt.y + (D.compact ? -2 : 14));
      t.setAttribute("class", "sg-ov-edge sg-ov-top");
    });
    t.textContent = label;
    if (label) layer.appendChild(t);  // the current step's numbers go on top of the rest
  }
  function drawAll() {
    // Read every box first, then write: one layout instead of one per node.
    for (var k = 0; k < N; k++) {
      if (!nodeBox[k] && nodeEl[k] && nodeLabel(k)) nodeBox[k] = nodeEl[k].getBBox();
    }
    for (k = 0; k < N; k++) drawNode(k);
    for (var j = 0; j < EDGES.length; j++) drawEdge(j);
  }
  function highlightPaths() {  // every node and edge on a path from the output to x
    onPath.forEach(function (e) { e.classList.remove("sg-path"); });
    onPath = [];
    if (S.sel < 0) return;
    var x = D.inputs[S.sel], seen = {}, stack = [x];
    seen[x] = 1;
    while (stack.length) {
      var k = stack.pop();
      if (nodeEl[k]) onPath.push(nodeEl[k]);
      c.usedBy[k].forEach(function (j) {
        if (edgeEl[j]) onPath.push(edgeEl[j]);
        var user = EDGES[j][0];
        if (!seen[user]) { seen[user] = 1; stack.push(user); }
      });
    }
    onPath.forEach(function (e) { e.classList.add("sg-path"); });
  }
  function reveal(k) {  // scroll the node into the middle of the view if it is outside
    var g = nodeEl[k];
    if (!g) return;
    var r = g.getBoundingClientRect(), b = box.getBoundingClientRect();
    if (r.left < b.left || r.right > b.right || r.top < b.top || r.bottom > b.bottom) {
      box.scrollLeft += r.left - b.left - b.width / 2 + r.width / 2;
      box.scrollTop += r.top - b.top - b.height / 2 + r.height / 2;
    }
  }

  // -- zoom: the figure's own size, with a margin for the numbers written above nodes --
  var zoom = 1, W = svg.width.baseVal.value, H = svg.height.baseVal.value;
  var vb = svg.viewBox.baseVal;
  if (vb && vb.width) {
    var u = D.compact ? 0.6 : 1, top = 18 * u, side = 60 * u, bottom = 6, px = W / vb.width;
    svg.setAttribute("viewBox", [vb.x - side, vb.y - top, vb.width + 2 * side,
      vb.height + top + bottom].join(" "));
    W += 2 * side * px; H += (top + bottom) * px;
  }
  function setZoom(z) {
    zoom = Math.min(4, Math.max(0.1, z));
    svg.setAttribute("width", W * zoom);
    svg.setAttribute("height", H * zoom);
  }
  function fitWidth() { return (box.clientWidth - 16) / W; }
  function readable() {  // the whole width if it stays legible, else legible and scrolled
    var f = fitWidth(), least = D.compact ? 1.1 : 0.8;
    setZoom(f >= least ? Math.min(1.5, f) : least);
  }
  document.getElementById("sg-zoom-in").addEventListener("click", function () {
    setZoom(zoom * 1.25);
  });
  document.getElementById("sg-zoom-out").addEventListener("click", function () {
    setZoom(zoom / 1.25);
  });
  document.getElementById("sg-zoom-fit").addEventListener("click", function () {
    setZoom(Math.min(1.5, fitWidth()));
  });
  readable();

  return {
    nodeEl: nodeEl, edgeEl: edgeEl, drawNode: drawNode, drawEdge: drawEdge, drawAll: drawAll,
    highlightPaths: highlightPaths, reveal: reveal
  };
}
