// snn-feed's site: the filters and the search, over static files only (no server, no other
// host). A page's own papers are filtered in place (the `hidden` attribute); papers of other
// months are found in the search data, one JSON file per month (search/YYYY-MM.json), fetched
// newest first when a search needs them. Matching is substring matching over text normalised
// as snn_feed/site/model.py normalises it (NFKC, lower case, single spaces): Chinese needs no
// word segmentation, and every word of a query must occur.
(function () {
  "use strict";
  var MAX_HITS = 200;
  var body = document.body;
  var here = body.getAttribute("data-month") || "";
  var isIndex = body.getAttribute("data-page") === "index";
  var controls = {
    q: document.getElementById("search"),
    score: document.getElementById("filter-score"),
    venue: document.getElementById("filter-venue"),
    code: document.getElementById("filter-code"),
    month: document.getElementById("filter-month")
  };
  var statusLine = document.getElementById("status");
  var hitList = document.getElementById("hits");
  var papers = Array.prototype.slice.call(document.querySelectorAll(".paper"));
  var texts = new Map();
  var loaded = new Map();
  var listing = null;
  var generation = 0;
  var timer = null;

  function normalise(text) {
    return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function state() {
    return {
      terms: normalise(controls.q.value).split(" ").filter(Boolean),
      score: Number(controls.score.value || 0),
      venue: controls.venue.value,
      code: controls.code.value,
      month: controls.month.value
    };
  }

  function passes(s, score, venue, code, month, text) {
    if (s.score && score < s.score) return false;
    if (s.venue === "*" ? !venue : s.venue && venue !== s.venue) return false;
    if (s.code && code !== s.code) return false;
    if (s.month && month !== s.month) return false;
    for (var i = 0; i < s.terms.length; i++) {
      if (text().indexOf(s.terms[i]) < 0) return false;
    }
    return true;
  }

  function textOf(el) {
    if (!texts.has(el)) texts.set(el, normalise(el.textContent));
    return texts.get(el);
  }

  function filterHere(s) {
    var shown = 0;
    papers.forEach(function (el) {
      var ok = passes(s, Number(el.getAttribute("data-score") || 0),
        el.getAttribute("data-venue"), el.getAttribute("data-code"),
        el.getAttribute("data-month"), function () { return textOf(el); });
      el.hidden = !ok;
      if (ok) shown += 1;
    });
    return shown;
  }

  function fetchJson(url, options) {
    return fetch(url, options).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function months() {
    if (!listing) {
      listing = fetchJson("search/months.json", { cache: "no-cache" }).then(function (d) {
        return d.months;
      });
    }
    return listing;
  }

  function monthData(entry) {
    var key = entry.m + "?" + entry.v;
    if (!loaded.has(key)) {
      loaded.set(key, fetchJson("search/" + encodeURIComponent(entry.m) + ".json?v=" +
        encodeURIComponent(entry.v)));
    }
    return loaded.get(key);
  }

  function hitItem(r) {
    var li = document.createElement("li");
    li.className = "hit";
    li.setAttribute("data-month", r.m);
    var a = document.createElement("a");
    a.href = encodeURIComponent(r.m) + ".html#" + encodeURIComponent(r.id);
    a.textContent = (r.s ? "[" + r.s + "] " : "") + (r.z || r.t);
    li.appendChild(a);
    var where = document.createElement("span");
    where.className = "where";
    where.textContent = " " + r.m + (r.z ? " · " + r.t : "") + (r.v ? " · " + r.v : "");
    li.appendChild(where);
    return li;
  }

  function searchElsewhere(s, mine, local) {
    var found = 0;
    hitList.textContent = "";
    hitList.hidden = true;
    return months().then(function (all) {
      var wanted = all.filter(function (e) {
        return e.m !== here && (!s.month || e.m === s.month);
      });
      var step = function (i) {
        if (mine !== generation) return null;
        if (i >= wanted.length || found >= MAX_HITS) return found;
        return monthData(wanted[i]).then(function (records) {
          if (mine !== generation) return null;
          records.forEach(function (r) {
            if (found < MAX_HITS && passes(s, r.s, r.v, String(r.c), r.m,
                function () { return r.x; })) {
              hitList.appendChild(hitItem(r));
              found += 1;
            }
          });
          hitList.hidden = found === 0;
          report(local, found, i + 1 < wanted.length && found < MAX_HITS);
          return step(i + 1);
        });
      };
      return step(0);
    });
  }

  function report(local, elsewhere, more) {
    var parts = [];
    if (!isIndex) parts.push("本月 · this month: " + local + " / " + papers.length);
    if (elsewhere !== null) {
      parts.push("其他月份 · other months: " + elsewhere + (elsewhere >= MAX_HITS ? "+" : "") +
        (more ? " …" : ""));
    }
    statusLine.textContent = parts.join(" · ");
  }

  function remember() {
    var params = new URLSearchParams();
    ["q", "score", "venue", "code"].forEach(function (k) {
      if (controls[k].value) params.set(k, controls[k].value);
    });
    if (isIndex && controls.month.value) params.set("month", controls.month.value);
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    return query;
  }

  function apply() {
    var s = state();
    var mine = ++generation;
    remember();
    var local = filterHere(s);
    var filtered = s.score || s.venue || s.code || (isIndex && s.month);
    if (s.terms.length || (isIndex && filtered)) {
      report(local, 0, true);
      searchElsewhere(s, mine, local).then(function (found) {
        if (mine === generation && found !== null) report(local, found, false);
      }).catch(function (err) {
        if (mine === generation) statusLine.textContent = "搜索数据无法读取 · search data unavailable: " + err.message;
      });
    } else {
      hitList.textContent = "";
      hitList.hidden = true;
      report(local, null, false);
      if (!isIndex && local === papers.length) statusLine.textContent = "";
    }
  }

  function restore() {
    var params = new URLSearchParams(location.search);
    ["q", "score", "venue", "code"].forEach(function (k) {
      var v = params.get(k);
      if (v === null) return;
      var c = controls[k];
      if (c.tagName === "SELECT" && !Array.prototype.some.call(c.options, function (o) {
        return o.value === v;
      })) {
        var o = document.createElement("option");
        o.value = v;
        o.textContent = v;
        c.appendChild(o);
      }
      c.value = v;
    });
    if (isIndex && params.get("month")) controls.month.value = params.get("month");
  }

  controls.q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  });
  ["score", "venue", "code"].forEach(function (k) {
    controls[k].addEventListener("change", apply);
  });
  controls.month.addEventListener("change", function () {
    var m = controls.month.value;
    if (!isIndex && m && m !== here) {
      var query = remember();
      location.href = encodeURIComponent(m) + ".html" + (query ? "?" + query : "");
      return;
    }
    apply();
  });
  document.getElementById("filters").addEventListener("submit", function (e) {
    e.preventDefault();
    apply();
  });
  restore();
  apply();
})();
