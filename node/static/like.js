// Like without reload (issue 12). Progressive enhancement: without this script the like button is a
// form that posts and reloads the page. With it the same form (its CSRF token too) goes with fetch,
// asking for JSON (node/pages/posts.py); the button and the count change in place, the element stays
// (so does the focus), and a polite live region says what changed. Any failure (network, an error
// status, no JSON) sends the form the normal way, so nothing is lost. The texts come from the page
// (#meent-like-status's data attributes, the count from the answer): this file has none of its own.
"use strict";
(function () {
  var status = document.getElementById("meent-like-status");
  if (!status || !window.fetch || !window.FormData || !window.URLSearchParams) return;
  var texts = status.dataset;

  function span(className, text) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }

  // the button's content as thread.html renders it for the new state
  function relabel(button, liked) {
    var postNumber = button.querySelector(".meent-visually-hidden");
    button.textContent = "";
    if (liked) {
      button.appendChild(span("meent-like-state", texts.liked));
      button.appendChild(document.createTextNode(" "));
      button.appendChild(span("meent-like-undo", texts.unlike));
    } else {
      button.appendChild(document.createTextNode(texts.like));
    }
    if (postNumber) button.appendChild(postNumber);
    button.classList.toggle("meent-like--on", liked);
    button.setAttribute("aria-pressed", liked ? "true" : "false");
  }

  function show(form, answer) {
    form.action = "/posts/" + form.dataset.likePost + "/" + (answer.liked ? "unlike" : "like");
    var button = form.querySelector("button[aria-pressed]");
    if (button) relabel(button, answer.liked);
    var article = form.closest("article");
    var count = article && article.querySelector(".meent-like-count");
    if (count) count.textContent = answer.count_text ? "· " + answer.count_text : "";
    var said = answer.liked ? texts.saidLiked : texts.saidUnliked;
    var message = answer.count_text ? said + " " + answer.count_text + "." : said;
    // emptied first, so that the same sentence twice in a row (two posts at "1 waardering") is said again
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function idle(form) {
    delete form.dataset.busy;
    var button = form.querySelector("button[aria-pressed]");
    if (button) button.removeAttribute("aria-busy");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("meent-like-form")) return;
    event.preventDefault();
    if (form.dataset.busy) return; // a second press while the first is on its way
    form.dataset.busy = "1";
    var pressed = form.querySelector("button[aria-pressed]");
    if (pressed) pressed.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      redirect: "error",
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) throw new Error("no JSON answer");
      return response.json();
    }).then(function (answer) {
      if (typeof answer.liked !== "boolean" || typeof answer.count_text !== "string") throw new Error("odd answer");
      return answer;
    }).then(function (answer) {
      idle(form);
      show(form, answer); // the change is made: a fault from here on must not send the form again
    }, function () {
      idle(form); // a page brought back from the history must not find the button stuck
      form.submit(); // the normal way: the server answers as without this script
    });
  });

  // a page restored from the back/forward cache: no request of this page is on its way any more
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form.meent-like-form[data-busy]").forEach(idle);
  });
})();
