// 应急 pages: a door marked with one tap without leaving the page, the progress panel kept up to date while
// the page is in view (so that another's marks show up), and the territory's tree ticked a branch at a time.
// Every page works without it: the buttons are forms that post and come back to the door.
"use strict";

(function () {
  var csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";

  // -- the tree: ticking an area ticks the areas within it (it takes them all in any case) -----------------
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches('.tree input[type="checkbox"]')) return;
    var item = box.closest("li");
    if (!item) return;
    item.querySelectorAll('ul input[type="checkbox"]').forEach(function (inner) { inner.checked = box.checked; });
  });

  var incident = document.getElementById("incident");
  if (!incident) return;
  var progress = document.getElementById("progress");
  var here = incident.dataset.here || location.pathname + location.search;

  function marksNow() {
    var body = progress && progress.querySelector(".panel-body");
    return body ? body.dataset.marks : "";
  }

  function replaceDoor(household, html) {
    var door = document.getElementById("door-" + household);
    if (!door || !html) return null;
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    door.replaceWith(fresh);
    return fresh;
  }

  // what a refused request's page says (its .error), or its status
  function reason(response) {
    return response.text().then(function (text) {
      var page = new DOMParser().parseFromString(text, "text/html");
      var said = page.querySelector(".error");
      return (said ? said.textContent.trim() : "") || ("登记失败（" + response.status + "）");
    });
  }

  // -- one tap: the form posted in the background, the card and the panel updated in place --------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.marks")) return;
    var button = event.submitter;
    if (!button || button.name !== "status") return;
    event.preventDefault();
    var door = form.closest(".door");
    var error = door.querySelector(".door-error");
    var data = new FormData(form);
    data.set("status", button.value);
    data.delete("csrf");
    door.setAttribute("aria-busy", "true");
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams(data),
      headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) return reason(response).then(function (text) { throw new Error(text); });
      if ((response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
        throw new Error("登录已过期，请刷新页面、重新登录后再登记。");  // sent to the sign-in page
      }
      return response.json();
    }).then(function (answer) {
      var fresh = replaceDoor(answer.household, answer.door);
      if (progress && answer.panel) setPanel(answer.panel);
      var pressed = fresh && fresh.querySelector('button[aria-pressed="true"]');
      if (pressed) pressed.focus();
    }).catch(function (failure) {
      door.removeAttribute("aria-busy");
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      if (error) { error.textContent = failure.message || "登记失败，请检查网络后重试。"; error.hidden = false; }
    });
  });

  // -- the panel polled every few seconds while the page is in view; the doors on screen with it ------------
  var EVERY = 5000;
  var timer = null;
  var asking = false;

  function poll() {
    if (asking || document.visibilityState !== "visible") return;
    asking = true;
    var doors = Array.prototype.map.call(document.querySelectorAll(".doors .door"), function (d) {
      return d.dataset.household;
    });
    var query = new URLSearchParams({back: here});
    if (marksNow() !== "") query.set("since", marksNow());
    if (doors.length) query.set("doors", doors.join(","));
    fetch(incident.dataset.progress + "?" + query.toString(), {
      credentials: "same-origin", headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      if ((response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
        ended();  // sent to the sign-in page: the session is over, and the figures would stand still unsaid
        throw new Error("signed out");
      }
      return response.json();
    }).then(function (answer) {
      if (progress && answer.panel) setPanel(answer.panel);
      Object.keys(answer.doors || {}).forEach(function (household) {
        var door = document.getElementById("door-" + household);
        if (!door || door.getAttribute("aria-busy") === "true") return;
        var holder = document.createElement("div");
        holder.innerHTML = answer.doors[household];
        var fresh = holder.firstElementChild;
        if (fresh && fresh.dataset.seq !== door.dataset.seq) door.replaceWith(fresh);
      });
    }).catch(function () { /* the next poll tries again */ }).then(function () { asking = false; });
  }

  // the panel anew, its table of areas left folded or unfolded as the person left it
  function setPanel(html) {
    var folded = progress.querySelector("details.areas-progress");
    var open = folded ? folded.open : null;
    progress.innerHTML = html;
    var fresh = progress.querySelector("details.areas-progress");
    if (fresh && open !== null) fresh.open = open;
  }

  function ended() {
    stop();
    if (document.getElementById("session-ended")) return;
    var notice = document.createElement("p");
    notice.id = "session-ended";
    notice.className = "error";
    notice.setAttribute("role", "alert");
    notice.textContent = "登录已过期，进度不再自动更新。请刷新页面、重新登录。";
    incident.parentNode.insertBefore(notice, incident);
  }

  function start() {
    if (timer === null) timer = setInterval(poll, EVERY);
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { poll(); start(); } else { stop(); }
  });
  if (document.visibilityState === "visible") start();
})();
