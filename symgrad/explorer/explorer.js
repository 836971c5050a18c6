/* symgrad explorer, part 3 of 3: the state machine, the API and the wiring.
 * It reveals the steps Python computed (see symgrad/explorer/data.py; the data sit in the
 * JSON block #symgrad-data) and computes no derivatives. Each step records what it
 * changed, so Back undoes it exactly; a step redraws only the nodes and edges it touched.
 * window.symgrad = {reset, step, back, run, pass, select, state}. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("symgrad-data").textContent);
  var PASSES = ["values", "reverse", "forward"];
  var NODES = D.nodes, EDGES = D.edges, N = NODES.length, OUT = D.out, F = D.output;
  var $ = function (id) { return document.getElementById(id); };
  var app = $("sg-app");
  var text = symgradFormat(D.digits), fmt = text.fmt;

  // -- structure: the arguments and uses of each node ----------------------------------
  var argsOf = [], usedBy = [], inputName = {}, finalGrad = {};
  for (var k = 0; k < N; k++) { argsOf.push([]); usedBy.push([]); }
  EDGES.forEach(function (e, j) {
    argsOf[e[0]].push(j);
    if (e[2] >= 0) usedBy[e[2]].push(j);
  });
  D.inputs.forEach(function (k, i) { inputName[i] = NODES[k][1]; });
  D.reverse.steps.forEach(function (s) { finalGrad[s[0]] = s[1]; });
  function caption(k) { return k === OUT ? F : NODES[k][2]; }
  function argName(j) { return D.operands[EDGES[j][1]]; }  // u, v (as the figure says)
  function isConst(k) { return NODES[k][0] === "c"; }

  // -- state: what the current pass has revealed ---------------------------------------
  var S = { pass: "values", step: 0, sel: D.selected, shown: -1 };
  S.current = { nodes: [], edges: [] };  // what the last step touched, highlighted
  var known = [], done = [], terms = [], sent = [], undo = [], reach = {}, timer = null;
  S.shown = D.selected >= 0 ? D.inputs[D.selected] : OUT;

  function fwd() { return S.sel >= 0 ? D.forward[S.sel] : null; }
  function steps() {
    if (S.pass === "values") return D.values;
    if (S.pass === "reverse") return D.reverse.steps;
    return fwd() ? fwd().steps : [];
  }
  function init() {
    var f = S.pass === "forward" ? fwd() : null;
    Object.keys(reach).forEach(function (key) { delete reach[key]; });
    if (f) f.steps.forEach(function (s) { reach[s[0]] = 1; });
    for (var k = 0; k < N; k++) {
      terms[k] = [];
      if (isConst(k)) { known[k] = S.pass === "values" ? NODES[k][4] : null; done[k] = false; }
      else if (f && !f.error && !reach[k]) { known[k] = 0; done[k] = true; }  // no path
      else { known[k] = null; done[k] = false; }
    }
    for (var j = 0; j < EDGES.length; j++) sent[j] = false;
    undo = []; S.step = 0; S.current = { nodes: [], edges: [] };
  }
  function setNode(log, k, value, isDone, t) {
    log.push(["n", k, known[k], done[k], terms[k]]);
    known[k] = value; done[k] = isDone;
    if (t) terms[k] = t;
  }
  function setEdge(log, j) { log.push(["e", j, sent[j]]); sent[j] = true; }

  function apply(s) {  // one precomputed step; returns what it touched
    var log = [], touched = { nodes: [], edges: [] };
    if (S.pass === "values") {
      setNode(log, s, NODES[s][4], true);
      touched.nodes.push(s);
    } else if (S.pass === "reverse") {  // s = [node, grad, [[edge, contribution, sum]...]]
      setNode(log, s[0], s[1], true);
      touched.nodes.push(s[0]);
      s[2].forEach(function (m) {
        var a = EDGES[m[0]][2];
        setNode(log, a, m[2], false, terms[a].concat([m[1]]));
        setEdge(log, m[0]);
        touched.nodes.push(a); touched.edges.push(m[0]);
      });
    } else {  // s = [node, tangent, [[edge, contribution or null]...]]
      var ts = [];
      s[2].forEach(function (m) {
        if (m[1] !== null) ts.push(m[1]);
        setEdge(log, m[0]);
        touched.edges.push(m[0]);
      });
      setNode(log, s[0], s[1], true, ts);
      touched.nodes.push(s[0]);
    }
    undo.push(log);
    S.step++;
    return touched;
  }
  function unapply() {
    var log = undo.pop(), touched = { nodes: [], edges: [] };
    for (var i = log.length - 1; i >= 0; i--) {
      var r = log[i];
      if (r[0] === "n") {
        known[r[1]] = r[2]; done[r[1]] = r[3]; terms[r[1]] = r[4];
        touched.nodes.push(r[1]);
      } else {
        sent[r[1]] = r[2];
        touched.edges.push(r[1]);
      }
    }
    S.step--;
    return touched;
  }
  function currentOf(i) {  // the nodes and edges to highlight after i steps
    if (i === 0) return { nodes: [], edges: [] };
    var s = steps()[i - 1];
    if (S.pass === "values") {
      return { nodes: [s], edges: argsOf[s].filter(function (j) { return EDGES[j][2] >= 0; }) };
    }
    return { nodes: [s[0]], edges: s[2].map(function (m) { return m[0]; }) };
  }

  var ctx = {
    D: D, S: S, known: known, done: done, terms: terms, sent: sent, reach: reach, $: $,
    fmt: fmt, sumText: text.sumText, caption: caption, argName: argName, isConst: isConst,
    argsOf: argsOf, usedBy: usedBy, fwd: fwd, steps: steps, inputName: inputName,
    finalGrad: finalGrad
  };
  var fig = symgradFigure(ctx);
  ctx.edgeEl = fig.edgeEl;
  var P = symgradPanels(ctx);
  function panels(all) {
    $("sg-status").textContent = P.status();
    $("sg-counter").textContent = "step " + S.step + " / " + steps().length;
    $("sg-back").disabled = S.step === 0;
    $("sg-step").disabled = S.step >= steps().length;
    P.detail();
    if (all) { P.paths(); P.cost(); }
  }
  function redraw(touched) {  // a step: only what it touched, and the old highlight
    var prev = S.current;
    S.current = currentOf(S.step);
    touched.nodes.concat(prev.nodes, S.current.nodes).forEach(fig.drawNode);
    touched.edges.concat(prev.edges, S.current.edges).forEach(fig.drawEdge);
    panels(false);
  }
  function redrawAll() {
    S.current = currentOf(S.step);
    fig.drawAll();
    panels(true);
  }
  // -- the API --------------------------------------------------------------------------
  function step() {
    var st = steps();
    if (S.step >= st.length) return false;
    redraw(apply(st[S.step]));
    if (S.current.nodes.length) fig.reveal(S.current.nodes[0]);
    return true;
  }
  function back() {
    if (S.step === 0) return false;
    redraw(unapply());
    return true;
  }
  function run() {
    pause();
    var st = steps();
    while (S.step < st.length) apply(st[S.step]);
    redrawAll();
  }
  function reset() { pause(); init(); redrawAll(); }
  function setPass(name) {
    if (PASSES.indexOf(name) < 0) throw new Error("unknown pass " + name + " (values, reverse, forward)");
    S.pass = name;
    $("sg-pass").value = name;
    app.className = "sg-app sg-pass-" + name;
    reset();
  }
  function select(name) {
    var i = -1;
    for (var q = 0; q < D.inputs.length; q++) if (inputName[q] === name) { i = q; break; }
    if (i < 0 && name !== null && name !== undefined && name !== "") {
      throw new Error("no input named " + name);
    }
    S.sel = i;
    $("sg-input").value = String(i);
    fig.highlightPaths();
    if (S.pass === "forward") reset(); else panels(true);
    return i >= 0;
  }
  function state() {
    var found = S.sel >= 0 ? D.paths[S.sel] : null;
    return {
      pass: S.pass, step: S.step, steps: steps().length,
      selected: S.sel >= 0 ? inputName[S.sel] : null,
      nodes: NODES.map(function (n, k) {
        return {
          id: k, name: n[1], label: caption(k),
          value: S.pass === "values" ? known[k] : n[4],
          grad: S.pass === "reverse" ? known[k] : null,
          tangent: S.pass === "forward" ? known[k] : null,
          done: done[k]
        };
      }),
      paths: found && found.list ? found.list.map(function (p) {
        return { factors: p[0].map(function (j) { return EDGES[j][3]; }), product: p[1] };
      }) : [],
      sum: found ? found.sum : null
    };
  }
  function delay() { return 1500 * Math.pow(0.02, $("sg-speed").value / 100); }
  function pause() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    $("sg-play").textContent = "\u25b6 Play";
  }
  function tick() {
    timer = step() ? setTimeout(tick, delay()) : null;
    if (timer === null) pause();
  }
  function play() {
    if (timer !== null) { pause(); return; }
    if (S.step >= steps().length) reset();
    $("sg-play").textContent = "\u2016 Pause";
    timer = setTimeout(tick, 0);
  }
  window.symgrad = {
    reset: reset, step: step, back: back, run: run, pass: setPass, select: select, state: state
  };

  // -- wiring ---------------------------------------------------------------------------
  $("sg-step").addEventListener("click", function () { step(); });
  $("sg-back").addEventListener("click", function () { back(); });
  $("sg-reset").addEventListener("click", reset);
  $("sg-run").addEventListener("click", run);
  $("sg-play").addEventListener("click", play);
  $("sg-pass").addEventListener("change", function () { setPass(this.value); });
  $("sg-input").addEventListener("change", function () { select(inputName[+this.value]); });
  var nodeEl = fig.nodeEl;
  nodeEl.forEach(function (g, k) {
    g.addEventListener("click", function () {
      if (nodeEl[S.shown]) nodeEl[S.shown].classList.remove("sg-shown");
      S.shown = k;
      g.classList.add("sg-shown");
      P.detail();
    });
  });
  document.addEventListener("keydown", function (ev) {
    var tag = ev.target && ev.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "ArrowRight" || ev.key === " ") { step(); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft") { back(); ev.preventDefault(); }
    else if (ev.key === "r") reset();
    else if (ev.key === "p") play();
  });

  function fromHash() {  // #pass=reverse&select=x&run (or &step=3)
    var h = (location.hash || "").replace(/^#/, ""), o = {};
    if (!h) return;
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("="), key = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
      o[key] = i < 0 ? true : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    });
    if (typeof o.select === "string") {
      try { select(o.select); } catch (e) { /* an unknown name changes nothing */ }
    }
    if (typeof o.pass === "string" && PASSES.indexOf(o.pass) >= 0) setPass(o.pass);
    if (o.run) run();
    else if (o.step) { for (var n = parseInt(o.step, 10) || 0; n > 0 && step(); n--); }
  }
  if (nodeEl[S.shown]) nodeEl[S.shown].classList.add("sg-shown");
  init();
  fig.highlightPaths();
  redrawAll();
  fromHash();
  window.addEventListener("hashchange", fromHash);
})();
