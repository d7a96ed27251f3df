// Parcours outbox: what is recorded with no network is kept on this phone (IndexedDB, AES-GCM with a
// non-extractable key) and sent, in order, exactly once, when the network is back. Texts come from #outbox.
(function () {
  "use strict";
  var kv = window.idbKeyval, box = document.getElementById("outbox");
  if (!kv || !box || !window.crypto || !crypto.subtle) return;
  var store = kv.createStore("parcours", "outbox");
  var busy = false, delay = 2000, timer = null, seq = 0, BATCH = 100;

  function say(name, n) { return (box.dataset[name] || "").replace("{n}", n); }
  function toast(text, error) {
    var el = document.createElement("div"), list = document.getElementById("toasts");
    el.className = error ? "toast error" : "toast"; el.setAttribute("role", "status"); el.textContent = text;
    if (list) { list.appendChild(el); setTimeout(function () { el.remove(); }, 6000); }
  }
  // ---------------------------------------------------------------- encrypted at rest
  function key() {
    return kv.get("key", store).then(function (k) {
      return k || crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"])
        .then(function (k2) { return kv.set("key", k2, store).then(function () { return k2; }); });
    });
  }
  function put(name, value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return key().then(function (k) {
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, new TextEncoder().encode(JSON.stringify(value)));
    }).then(function (ct) { return kv.set(name, { iv: iv, ct: ct }, store); });
  }
  function read(rec) {
    return key().then(function (k) { return crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv }, k, rec.ct); })
      .then(function (b) { return JSON.parse(new TextDecoder().decode(b)); });
  }
  function entries() { // the outbox, oldest first
    return kv.entries(store).then(function (all) {
      all = all.filter(function (e) { return String(e[0]).indexOf("q:") === 0; }).sort(function (a, b) { return a[0] < b[0] ? -1 : 1; });
      return Promise.all(all.map(function (e) { return read(e[1]).then(function (v) { v.key = e[0]; return v; }); }));
    });
  }
  function save(entry) { var k = entry.key; delete entry.key; return put(k, entry); }
  function add(change) {
    change.team_id = change.team_id || box.dataset.team || null;
    var k = "q:" + String(Date.now()).padStart(15, "0") + "-" + String(seq++).padStart(6, "0");
    return put(k, { change: change, state: "pending" }).then(function () { render(); later(500); });
  }
  // ---------------------------------------------------------------- sending
  function later(ms) {
    clearTimeout(timer); timer = setTimeout(flush, ms);
    if (navigator.serviceWorker && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then(function (r) { if (r.sync) r.sync.register("outbox"); }).catch(function () {});
    }
  }
  function signIn() { box.hidden = false; box.href = "/login"; box.textContent = say("signin"); box.dataset.state = "signin"; }
  function flush() {
    if (busy) return Promise.resolve();
    busy = true;
    return entries().then(function (all) {
      var items = all.filter(function (e) { return e.state === "pending"; }).slice(0, BATCH);
      if (!items.length) return false;
      // The token of the current session: the outbox survives a session timeout and a new sign-in.
      return fetch("/api/sync/token", { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401 || r.status === 403) { signIn(); return false; }
        if (!r.ok) throw new Error("token " + r.status);
        return r.json().then(function (tok) { return push(items, tok.csrf_token); });
      });
    }).then(function (more) {
      busy = false; delay = 2000; render();
      if (more) return flush();
    }, function () {
      busy = false; render(); later(delay); delay = Math.min(delay * 2, 300000); // network, timeout, 5xx, 409
    });
  }
  function push(items, token) {
    var ctl = new AbortController(), stop = setTimeout(function () { ctl.abort(); }, 20000);
    return fetch("/api/sync/push", {
      method: "POST", credentials: "same-origin", signal: ctl.signal,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ changes: items.map(function (e) { return e.change; }) })
    }).then(function (r) {
      clearTimeout(stop);
      if (r.status === 401 || r.status === 403) { signIn(); return false; }
      if (r.status === 422) {
        return r.json().then(function (err) {
          return Promise.all(items.map(function (e) { e.state = "attention"; e.message = err.message; return save(e); }));
        });
      }
      if (!r.ok) throw new Error("push " + r.status);
      return r.json().then(function (out) {
        var retry = false, sent = 0;
        return Promise.all(out.results.map(function (res, i) {
          var e = items[i];
          if (res.status === "accepted" || res.status === "duplicate") { sent++; return kv.del(e.key, store); }
          if (res.code === 409) { retry = true; return null; }
          e.state = "attention"; e.message = res.message; e.errors = res.errors; e.conflicts = res.conflicts; e.version = res.version;
          return save(e);
        })).then(function () {
          if (retry) throw new Error("conflict");
          if (sent) toast(say("sent"));
          return items.length === BATCH;
        });
      });
    });
  }
  // ---------------------------------------------------------------- what the worker sees
  function label(e, names) { // "Note · Cherche un lit", "Passage · Mohamed", "Observation · 14:02"
    var c = e.change, kind = say(c.op === "update" ? "typeEdit" : "type" + c.type.charAt(0).toUpperCase() + c.type.slice(1)) || c.type;
    var who = [].concat(c.data.person_ids || c.data.person_id || []).map(function (id) { return names[id]; }).filter(Boolean).join(", ");
    var what = c.data.alias || c.data.note || c.data.body || who;
    if (!what) { // nothing typed that tells it apart: when it was saved on this phone (its key starts with the time)
      var at = new Date(Number(String(e.key).slice(2, 17)));
      what = isNaN(at) ? c.id.slice(0, 8) : at.toLocaleString(document.documentElement.lang || undefined, { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
    }
    return kind + " · " + (what.length > 60 ? what.slice(0, 60) + "…" : what);
  }
  function el(tag, text, cls) { var x = document.createElement(tag); if (text) x.textContent = text; if (cls) x.className = cls; return x; }
  var renders = 0;
  function render() { // reads are async: only the latest render may write the page, an older one is stale
    var mine = ++renders;
    return Promise.all([entries(), kept()]).then(function (got) {
      if (mine !== renders) return;
      var all = got[0], names = {};
      got[1].forEach(function (p) { names[p.id] = p.alias; });
      all.forEach(function (e) { if (e.change.type === "person" && e.change.op !== "update") names[e.change.id] = e.change.data.alias; });
      var pending = all.filter(function (e) { return e.state === "pending"; }), attention = all.length - pending.length;
      if (box.dataset.state !== "signin") {
        var parts = [];
        if (pending.length) parts.push(say("pending", pending.length));
        if (attention) parts.push(say("attention", attention));
        box.textContent = parts.join(" · "); box.hidden = !all.length; box.dataset.count = String(pending.length);
      }
      var list = document.getElementById("outbox-list"), att = document.getElementById("outbox-attention");
      if (list) list.replaceChildren.apply(list, pending.map(function (e) { return el("li", label(e, names)); }));
      if (att) { // a row being corrected stays as it is (what is typed in it) while nothing about it changed
        var shown = {};
        Array.prototype.forEach.call(att.children, function (li) { shown[li.dataset.key] = li; });
        var rows = all.filter(function (e) { return e.state !== "pending"; }).map(function (e) {
          var sig = JSON.stringify([e.message, e.errors, e.conflicts, e.change.data]), old = shown[e.key];
          if (old && old.dataset.sig === sig) return old;
          var li = attentionRow(e, names); li.dataset.key = e.key; li.dataset.sig = sig; return li;
        });
        var same = rows.length === att.children.length && rows.every(function (li, i) { return att.children[i] === li; });
        if (!same) att.replaceChildren.apply(att, rows);
      }
      choices(all, got[1]);
    });
  }
  function kept() { return kv.get("persons", store).then(function (rec) { return rec ? read(rec) : []; }).catch(function () { return []; }); }
  // What a worker can correct in a refused record, labelled in their language (the time only when it was refused);
  // ids stay as they were.
  var FIELDS = ["alias", "body", "note", "need_description", "description", "phone", "birth_year", "nationality", "alert_reason", "at"];
  function localInput(iso) { // "2026-11-30T14:02" in the phone's time, for an <input type="datetime-local">
    var d = new Date(iso), two = function (n) { return String(n).padStart(2, "0"); };
    return isNaN(d) ? "" : d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" + two(d.getHours()) + ":" + two(d.getMinutes());
  }
  function attentionRow(e, names) {
    var li = el("li"), c = e.change;
    var under = e.errors && FIELDS.some(function (n) { return e.errors[n] && n in c.data; }); // said under its field
    li.appendChild(el("strong", label(e, names)));
    if (!under) li.appendChild(el("p", e.message, "err"));
    if (e.conflicts) {
      Object.keys(e.conflicts).forEach(function (name) {
        var pair = e.conflicts[name], p = el("p", (say("field" + camel(name)) || name) + ": ");
        [["keep-mine", pair.yours], ["keep-theirs", pair.theirs]].forEach(function (opt) {
          var b = el("button", say(opt[0].replace("-t", "T").replace("-m", "M")) + " (" + opt[1] + ")", "btn");
          b.type = "button"; b.dataset.choice = opt[0];
          b.addEventListener("click", function () { choose(e, name, opt[0] === "keep-mine"); });
          p.appendChild(b);
        });
        li.appendChild(p);
      });
      return li;
    }
    var form = el("form");
    FIELDS.forEach(function (name) {
      var v = c.data[name];
      if (!(name in c.data) || (typeof v === "object" && v !== null)) return;
      if (name === "at" && !(e.errors && e.errors.at)) return; // the time is shown only when it is what was refused
      var lab = el("label", (say("field" + camel(name)) || name) + " "), input = el("input"); input.name = name;
      if (name === "at") { input.type = "datetime-local"; input.value = localInput(v); } else input.value = v == null ? "" : v;
      lab.appendChild(input); form.appendChild(lab);
      if (e.errors && e.errors[name]) form.appendChild(el("small", e.errors[name], "err"));
    });
    var bar = el("div", null, "bar"), send = el("button", say("resend"), "btn primary"), drop = el("button", say("discard"), "btn danger");
    drop.type = "button";
    drop.addEventListener("click", function () { // given up knowingly: it was never saved on the server
      if (!window.confirm(say("discardConfirm"))) return;
      kv.del(e.key, store).then(render);
    });
    bar.appendChild(send); bar.appendChild(drop); form.appendChild(bar);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault(); ev.stopImmediatePropagation();
      Array.prototype.forEach.call(form.elements, function (i) {
        if (i.name) c.data[i.name] = i.name === "at" ? new Date(i.value).toISOString() : i.value; // typed in local time
      });
      e.state = "pending"; delete e.message; delete e.errors; save(e).then(function () { render(); later(100); });
    }, true);
    li.appendChild(form);
    return li;
  }
  function camel(name) { return name.split("_").map(function (w) { return w.charAt(0).toUpperCase() + w.slice(1); }).join(""); }
  function choose(e, name, mine) { // a conflict settled: resend my value on the version now known, or drop it
    var c = e.change, data = {};
    if (mine) data[name] = e.conflicts[name].yours;
    delete e.conflicts[name];
    var next = { id: c.id, change_id: crypto.randomUUID(), type: c.type, op: "update", base_version: e.version, base: {}, data: data, team_id: c.team_id };
    var left = Object.keys(e.conflicts).length;
    var done = left ? save(e) : kv.del(e.key, store);
    return done.then(function () { return mine ? add(next) : render(); });
  }
  function choices(all, kept) { // persons to pick with no network: those kept for the team, and those created here
    var boxes = document.querySelectorAll("[data-person-choices]");
    if (!boxes.length) return;
    Promise.resolve(kept).then(function (kept) {
      var made = all.filter(function (e) { return e.change.type === "person" && e.change.op !== "update"; })
        .map(function (e) { return { id: e.change.id, alias: e.change.data.alias, code: "…" }; });
      var people = made.concat(kept);
      var note = document.getElementById("kept-persons");
      if (note) note.textContent = say("kept", kept.length);
      boxes.forEach(function (b) {
        var checked = {}, chosen = b.value; // what was ticked or chosen stays so while the list is refreshed
        b.querySelectorAll("input:checked").forEach(function (i) { checked[i.value] = true; });
        b.querySelectorAll("[data-p]").forEach(function (x) { x.remove(); });
        people.forEach(function (p) {
          var text = p.alias + " (" + p.code + ")", item;
          if (b.dataset.personChoices === "option") { item = el("option", text); item.value = p.id; }
          else {
            item = el("label", null, "check"); var i = el("input"); i.type = "checkbox"; i.name = "person_ids"; i.value = p.id;
            i.checked = !!checked[p.id]; item.appendChild(i); item.appendChild(document.createTextNode(" " + text));
          }
          item.dataset.p = "1"; b.appendChild(item);
        });
        if (chosen) b.value = chosen;
      });
    });
  }
  function fresh(form) { // ready for the next one: emptied, a new client id, no person still picked
    form.reset(); if (form.elements.id) form.elements.id.value = crypto.randomUUID();
    form.querySelectorAll("#picked > *").forEach(function (chip) { chip.remove(); });
    if (form.classList.contains("confirm")) form.remove(); // a check-in confirmation: done with that person
  }
  var EDITABLE = ["alias", "gender", "birth_year", "nationality", "phone", "alert_reason", "description"];
  function captureEdit(form) { // an edit: the fields changed, the values it started from and their version
    var data = {}, base = {};
    EDITABLE.forEach(function (name) {
      var i = form.elements[name];
      if (i && i.value !== i.defaultValue) { data[name] = i.value; base[name] = i.defaultValue; }
    });
    var change = { id: form.dataset.id, change_id: crypto.randomUUID(), type: "person", op: "update", data: data, base: base, base_version: parseInt(form.elements.version.value, 10) };
    return add(change).then(function () { toast(say("saved")); });
  }
  function capture(form) { // a form as a change: its fields, lists where a name repeats
    if (form.dataset.sync === "person-edit") return captureEdit(form);
    var data = {};
    new FormData(form).forEach(function (v, k) {
      if (k === "csrf_token" || k === "id" || v === "") return;
      if (k in data) data[k] = [].concat(data[k], v); else data[k] = v;
    });
    if (form.querySelectorAll('[name="person_ids"]').length && !("person_ids" in data)) data.person_ids = [];
    if (form.dataset.sync !== "person" && !data.at) data.at = new Date().toISOString(); // when it happened, not sent
    var id = (form.elements.id && form.elements.id.value) || crypto.randomUUID();
    return add({ id: id, type: form.dataset.sync, op: "create", data: data }).then(function () { toast(say("saved")); fresh(form); });
  }
  // ---------------------------------------------------------------- the offline page kept by the service worker
  // It holds forms only, but they are this user's (role, team, language, the organisation's places): it is
  // fetched again when the user, team or language changes, and removed from the phone at sign-out.
  function parcoursCaches() {
    if (!window.caches) return Promise.resolve([]);
    return caches.keys().then(function (keys) { return keys.filter(function (k) { return k.indexOf("parcours-") === 0; }); });
  }
  function wipeCaches() {
    return parcoursCaches().then(function (keys) {
      return Promise.all(keys.map(function (k) { return caches.open(k).then(function (c) { return c.delete("/offline"); }); }));
    }).catch(function () {});
  }
  function refreshOfflinePage() {
    var who = box.dataset.who || "";
    if (!navigator.onLine || !who) return;
    kv.get("offline-for", store).then(function (was) {
      if (was === who) return;
      return parcoursCaches().then(function (keys) {
        return Promise.all(keys.map(function (k) { return caches.open(k).then(function (c) { return c.add("/offline"); }); }));
      }).then(function (done) { if (done.length) return kv.set("offline-for", who, store); });
    }).catch(function () {});
  }
  function toTop() { if (!document.getElementById("offline-page")) window.scrollTo(0, 0); } // the counter shows

  // ---------------------------------------------------------------- wiring
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.matches("form[data-sync]") && (!navigator.onLine || document.getElementById("offline-page"))) {
      e.preventDefault(); e.stopImmediatePropagation();
      // The offline page checks what it can before keeping (required person, text...); online forms are
      // checked by the server when they are sent.
      if (document.getElementById("offline-page") && !form.checkValidity()) { form.reportValidity(); return; }
      capture(form);
    } else if (form.matches('form[action="/logout"]') && !form.dataset.wiped) {
      e.preventDefault(); e.stopImmediatePropagation();
      entries().then(function (all) {
        if (all.length) { toast(say("refuseSignout"), true); return; }
        return kv.clear(store).then(wipeCaches).then(function () { form.dataset.wiped = "1"; form.submit(); });
      });
    }
  }, true);
  // An online form (encounter, check-in, note, observation) that cannot reach the server is kept in the
  // outbox: no network, no answer within the timeout (a metro tunnel), a 5xx, or a session that ended (401:
  // kept, then sign in again). Exactly once: the form's client id goes with it and the form is renewed. A 4xx
  // (422) is the server's answer about the values: htmx shows it in the form, with what was typed.
  function syncForm(elt) { return elt && elt.closest ? elt.closest("form[data-sync]") : null; }
  function keep(form) {
    var id = form.elements.id && form.elements.id.value;
    if (id && form.dataset.kept === id) return Promise.resolve(); // already kept (two events for one send)
    if (id) form.dataset.kept = id;
    return capture(form).then(toTop);
  }
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb === "post" && syncForm(e.detail.elt)) e.detail.timeout = parseInt(box.dataset.timeout, 10) || 15000;
  });
  document.addEventListener("htmx:sendError", function (e) { var f = syncForm(e.detail.elt); if (f) keep(f); });
  document.addEventListener("htmx:timeout", function (e) { var f = syncForm(e.detail.elt); if (f) keep(f); });
  document.addEventListener("htmx:beforeOnLoad", function (e) {
    var form = syncForm(e.detail.elt), status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (!form || !(status >= 500 || status === 401)) return;
    e.preventDefault(); // no error page over the form, no redirect before the outbox has it
    keep(form).then(function () { if (status === 401) window.location.href = "/login"; });
  });
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest("[data-keep-persons]")) return;
    fetch("/api/sync/persons", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (rows) { if (rows) return put("persons", rows).then(render); });
  });
  document.querySelectorAll("form[data-fresh]").forEach(fresh);
  window.addEventListener("online", function () { delay = 2000; flush(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") flush(); });
  setInterval(flush, 60000);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (e) { if (e.data === "flush") flush(); });
  }
  window.parcoursOutbox = { flush: flush, entries: entries };
  render().then(flush);
  if (navigator.serviceWorker) navigator.serviceWorker.ready.then(refreshOfflinePage).catch(function () {});
})();
