/* symgrad explorer, part 1 of 2: the words. Numbers formatted as the figure writes them,
 * the status line and the side panels (node detail, paths, cost). Everything here reads
 * the state explorer.js keeps and the numbers Python computed; nothing computes a
 * derivative. Text is only ever set with textContent. */

/* Numbers as symgrad.render.labels.fmt_number writes them: `digits` significant digits
 * (Python's "g" format), integers exact, a typographic minus. */
function symgradFormat(digits) {
  function fmt(v) {
    if (v === null || v === undefined) return "\u2013";
    if (v === 0) return "0";
    var s;
    if (Number.isInteger(v) && Math.abs(v) < 1e15) {
      s = String(v);
    } else {
      var ex = v.toExponential(digits - 1), k = ex.indexOf("e");
      var e = parseInt(ex.slice(k + 1), 10);
      if (e < -4 || e >= digits) {
        var mant = ex.slice(0, k);
        if (mant.indexOf(".") >= 0) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
        s = mant + "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
      } else {
        s = v.toFixed(Math.max(0, digits - 1 - e));
        if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
      }
    }
    return s.replace(/-/g, "\u2212");
  }
  function sumText(terms, all) {  // "56 + 1", "3 − 2"; long sums shortened unless all
    var cut = !all && terms.length > 4, out = "";
    (cut ? terms.slice(0, 3) : terms).forEach(function (t, i) {
      if (i === 0) out = fmt(t);
      else out += t < 0 ? " \u2212 " + fmt(-t) : " + " + fmt(t);
    });
    if (cut) out += " + \u2026 (" + terms.length + " terms)";
    return out;
  }
  return { fmt: fmt, sumText: sumText };
}

/* The status line and the panels, given the explorer's context `c`. */
function symgradPanels(c) {
  var D = c.D, S = c.S, NODES = D.nodes, EDGES = D.edges, F = D.output, OUT = D.out;
  var fmt = c.fmt, caption = c.caption, argName = c.argName, $ = c.$;
  var TIMES = " \u00d7 ", D_ = "\u2202";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function row(box, key, value, cls) {
    var r = el("div", "sg-row" + (cls ? " " + cls : ""));
    r.appendChild(el("span", "sg-key", key));
    r.appendChild(el("span", "sg-val", value));
    box.appendChild(r);
  }

  function intro(x) {
    if (S.pass === "values") {
      return "Values pass: every node is evaluated from its inputs, in topological order " +
        "(inputs first). Press Step.";
    }
    if (S.pass === "reverse") {
      return "Reverse pass (backprop): start at the output with " + D_ + F + "/" + D_ + F +
        " = 1. Each step finishes one node, whose grad is complete once every node that " +
        "uses it is done, and sends local" + TIMES + "upstream to each of its inputs.";
    }
    return "Forward mode for " + x + ": seed " + D_ + x + "/" + D_ + x + " = 1, then each " +
      "node's tangent is the sum over its inputs of local" + TIMES + "the input's tangent, " +
      "in topological order. Nodes that do not depend on " + x + " have tangent 0.";
  }
  function valuesStep(k) {
    if (NODES[k][0] === "x") return "input " + NODES[k][1] + " = " + fmt(NODES[k][4]) + ".";
    var ins = c.argsOf[k].map(function (j) {
      var e = EDGES[j];
      return argName(j) + " = " + fmt(e[2] >= 0 ? NODES[e[2]][4] : e[5]);
    });
    return caption(k) + " with " + ins.join(", ") + " gives " + fmt(NODES[k][4]) + ".";
  }
  function reverseStep(s) {
    var k = s[0], text = caption(k) + ": grad = " + fmt(s[1]) +
      (k === OUT ? " (the seed)." : " is complete.");
    var sends = s[2].slice(0, 4).map(function (m) {
      var e = EDGES[m[0]];
      return argName(m[0]) + " (" + caption(e[2]) + "): " + fmt(e[3]) + TIMES + fmt(s[1]) +
        " = " + fmt(m[1]) + ", its grad so far " + fmt(m[2]);
    });
    if (sends.length) {
      text += " Sends local" + TIMES + "upstream to " + sends.join("; ") +
        (s[2].length > 4 ? "; \u2026" : ".");
    } else if (NODES[k][0] === "x") {
      text += " " + F + " depends on input " + NODES[k][1] + " with " + D_ + F + "/" + D_ +
        NODES[k][1] + " = " + fmt(s[1]) + ".";
    }
    return text;
  }
  function forwardStep(s, x) {
    if (s[0] === D.inputs[S.sel]) return "seed " + D_ + x + "/" + D_ + x + " = 1.";
    var parts = s[2].map(function (m) {
      var e = EDGES[m[0]];
      return m[1] === null ? "0 (" + argName(m[0]) + " has tangent 0)" :
        fmt(e[3]) + TIMES + fmt(c.known[e[2]]) + " (" + argName(m[0]) + ")";
    });
    return caption(s[0]) + ": tangent " + D_ + "/" + D_ + x + " = local" + TIMES +
      "tangent of each input = " + parts.slice(0, 4).join(" + ") +
      (parts.length > 4 ? " + \u2026" : "") + " = " + fmt(s[1]) + ".";
  }
  function status() {
    var st = c.steps(), i = S.step, x = S.sel >= 0 ? c.inputName[S.sel] : null;
    if (S.pass === "forward" && x === null) {
      return "Forward mode follows one input: choose one in the Input menu.";
    }
    if (S.pass === "forward" && !c.fwd()) {
      return "The forward pass for " + x + " is not stored in this page (to keep it small); " +
        "call symgrad.explore(out, wrt=\"" + x + "\") to include it.";
    }
    var err = S.pass === "values" ? null : S.pass === "reverse" ? D.reverse.error : c.fwd().error;
    if (i === 0) return intro(x) + (err && !st.length ? " It cannot start: " + err : "");
    var s = st[i - 1], text = "Step " + i + " of " + st.length + ": ";
    if (S.pass === "values") return text + valuesStep(s);
    text += S.pass === "reverse" ? reverseStep(s) : forwardStep(s, x);
    if (i === st.length) {
      if (err) text += " The pass stops here: " + err;
      else if (S.pass === "reverse") {
        text += " Done: one reverse pass gave the derivative of " + F +
          " with respect to every input.";
      } else {
        text += " Done: " + D_ + F + "/" + D_ + x + " = " + fmt(s[1]) +
          ", the number the reverse pass gives, for this one input.";
      }
    }
    return text;
  }

  function detail() {
    var box = $("sg-detail"), k = S.shown, n = NODES[k];
    box.textContent = "";
    if (n === undefined) {
      box.appendChild(el("p", "sg-hint", "Click a node in the graph to see its value, " +
        "its gradient and its local derivatives."));
      return;
    }
    var kind = n[0] === "x" ? "input " + n[1] : n[0] === "c" ? "constant" :
      "op " + n[3] + " (" + n[2] + ")";
    box.appendChild(el("h3", "", (k === OUT ? "output " + F + ": " : "") + kind));
    row(box, "value", S.pass === "values" && c.known[k] === null ? "not evaluated yet" :
      fmt(n[4]));
    var g = c.known[k], grad;
    if (S.pass === "reverse") grad = g === null ? "not reached yet" : fmt(g) + (c.done[k] ? "" : " so far");
    else grad = k in c.finalGrad ? fmt(c.finalGrad[k]) + " (after the reverse pass)" : "\u2013";
    row(box, "grad " + D_ + F + "/" + D_ + "node", grad);
    if (S.sel >= 0) {
      var tan = S.pass !== "forward" ? "see the forward pass" :
        g === null ? "not reached yet" : fmt(g);
      row(box, "tangent " + D_ + "node/" + D_ + c.inputName[S.sel], tan);
    }
    c.argsOf[k].forEach(function (j) {
      var e = EDGES[j], a = argName(j);
      if (e[2] < 0 || NODES[e[2]][0] === "c") {
        row(box, a + " = " + fmt(e[5]), "a constant: no derivative needed", "sg-arg");
        return;
      }
      var name = NODES[e[2]][0] === "x" ? NODES[e[2]][1] + " = " : "";
      var local = e[3] === null ? "undefined" : fmt(e[3]);
      row(box, a + " = " + name + fmt(NODES[e[2]][4]),
        D_ + "/" + D_ + a + " = " + D.formulas[e[4]] + " = " + local, "sg-arg");
    });
  }

  function hot(route, on) {
    route.forEach(function (j) { if (c.edgeEl[j]) c.edgeEl[j].classList.toggle("sg-hot", on); });
  }
  function paths() {
    var box = $("sg-paths");
    box.textContent = "";
    if (S.sel < 0) {
      box.appendChild(el("p", "sg-hint", "Choose an input to highlight every path from the " +
        "output to it."));
      return;
    }
    var x = c.inputName[S.sel], P = D.paths[S.sel], g = c.finalGrad[D.inputs[S.sel]];
    if (P.list === null) {
      box.appendChild(el("p", "", P.count + " paths from " + F + " to " + x + ": too many " +
        "to list here. Their products sum to " + D_ + F + "/" + D_ + x + " = " + fmt(g) + "."));
      if (P.error) box.appendChild(el("p", "sg-error", P.error));
      return;
    }
    box.appendChild(el("p", "sg-hint", "Every path from " + F + " down to " + x + ", with " +
      "the local derivatives along it (from the output down) and their product:"));
    var ol = el("ol", "sg-pathlist");
    P.list.forEach(function (p) {
      var li = el("li"), names = [caption(p[0].length ? EDGES[p[0][0]][0] : OUT)];
      p[0].forEach(function (j) { names.push(caption(EDGES[j][2])); });
      li.appendChild(el("div", "sg-route", names.join(" \u2192 ")));
      li.appendChild(el("div", "sg-factors", p[0].map(function (j) {
        return fmt(EDGES[j][3]);
      }).join(TIMES) + " = " + fmt(p[1])));
      li.addEventListener("mouseenter", function () { hot(p[0], true); });
      li.addEventListener("mouseleave", function () { hot(p[0], false); });
      ol.appendChild(li);
    });
    box.appendChild(ol);
    var sum = P.list.length > 1 ?
      c.sumText(P.list.map(function (p) { return p[1]; }), true) + " = " : "";
    box.appendChild(el("p", "sg-sum", "sum: " + sum + fmt(P.sum) + " = " + D_ + F + "/" + D_ + x));
  }

  function cost() {
    var box = $("sg-cost"), n = D.inputs.length, f = c.fwd();
    box.textContent = "";
    box.appendChild(el("p", "", "Reverse mode: one pass (" + D.reverse.steps.length +
      " steps) from the output gives the derivative of " + F + " with respect to every " +
      "input (" + n + " here) at once."));
    box.appendChild(el("p", "", "Forward mode: one pass per input" +
      (f ? " (" + f.steps.length + " steps for " + c.inputName[S.sel] + ")" : "") + ", so " +
      n + " pass" + (n === 1 ? "" : "es") + " for the whole gradient. It wins when there " +
      "are few inputs and many outputs."));
  }
  return { status: status, detail: detail, paths: paths, cost: cost };
}
