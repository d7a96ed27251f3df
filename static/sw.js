// Parcours service worker: the app shell, the offline forms and the static files, one cache per release.
// Pages with people's data are never stored: navigations go to the network, and only when it fails does the
// offline page (forms, no data) answer. Served from /sw.js so that its scope is the whole app.
"use strict";
var CACHE = "parcours-__RELEASE__";
var ASSETS = "__ASSETS__";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(ASSETS.map(function (url) {
      return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (resp) {
        if (resp.ok && resp.type === "basic") return cache.put(url, resp);
      }).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  // A new release replaces the old cache.
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("parcours-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    event.respondWith(fetch(req).catch(function () {
      return caches.match("/offline", { cacheName: CACHE }).then(function (hit) {
        return hit || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
      });
    }));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    event.respondWith(caches.match(req, { cacheName: CACHE }).then(function (hit) { return hit || fetch(req); }));
  }
});

// Background Sync where the browser has it: wake the open pages, which hold the key and send the outbox.
self.addEventListener("sync", function (event) {
  if (event.tag !== "outbox") return;
  event.waitUntil(self.clients.matchAll().then(function (all) {
    all.forEach(function (c) { c.postMessage("flush"); });
  }));
});
