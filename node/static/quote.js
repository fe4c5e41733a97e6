// Quote a selected passage of a post in a reply (issue 12). Progressive enhancement: without this
// script the "Citeer" link of each post quotes the whole post. The server treats quote_text as
// plain text and escapes it into Markdown quote lines (node/services/quoting.py).
"use strict";
(function () {
  var MAX = 2000;

  function selectedIn(article) {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return "";
    var content = article.querySelector(".meent-content");
    var range = selection.getRangeAt(0);
    if (!content || !content.contains(range.commonAncestorContainer)) return "";
    return selection.toString().trim().slice(0, MAX);
  }

  document.querySelectorAll("a.meent-quote-link[data-quote-post]").forEach(function (link) {
    var article = document.getElementById("post-" + link.dataset.quotePost);
    if (!article || !link.dataset.quoteLabel) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "utrecht-button utrecht-button--subtle meent-quote-selection";
    button.textContent = link.dataset.quoteLabel;
    // keep the selection: pressing a button must not clear it before the click
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () {
      var text = selectedIn(article);
      var target = "/posts/" + link.dataset.quotePost + "/reply";
      window.location.href = text ? target + "?quote_text=" + encodeURIComponent(text) : link.href;
    });
    link.insertAdjacentElement("afterend", button);
  });
})();
