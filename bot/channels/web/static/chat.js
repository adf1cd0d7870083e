/*
 * The web chat page. The conversation is kept in sessionStorage so it survives a reload;
 * replies arrive over server-sent events (EventSource reconnects by itself); what the visitor
 * sends is posted with one id per message, retried under the same id, so the server processes
 * it once however often it arrives. Every text is set with textContent: nothing the visitor
 * types or the bot says is ever parsed as markup.
 */
(function () {
  "use strict";

  var STORE_KEY = "webchat.conversation";
  var RELOADED_KEY = "webchat.reloaded";
  var MAX_ITEMS = 200;
  var RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000];
  var RECONNECT_DELAY = 5000;
  var SMALL_OPTIONS = ["lang:", "nav:"];
  var SEEN_IDS = 50;

  var token = document.querySelector('meta[name="chat-token"]').getAttribute("content");
  var texts = JSON.parse(document.getElementById("chat-texts").textContent);
  var lang = document.documentElement.getAttribute("lang");
  var list = document.getElementById("chat-messages");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var statusLine = document.getElementById("chat-status");

  var state = load();

  function load() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      // another visitor token (the cookie expired or was cleared) is another conversation
      if (saved && saved.owner === token && Array.isArray(saved.items)) {
        saved.seen = Array.isArray(saved.seen) ? saved.seen : [];
        return saved;
      }
    } catch (ignored) {
      // unreadable or unavailable storage: start afresh
    }
    return { owner: token, started: false, items: [], seen: [] };
  }

  function save() {
    state.items = state.items.slice(-MAX_ITEMS);
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (ignored) {
      // private mode or full: the conversation only does not survive a reload
    }
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; plain http on a LAN still has getRandomValues
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function words() {
    return texts[lang] || texts.ru;
  }

  /* --- showing the conversation --- */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function bubble(item) {
    var li = element("li", "msg msg-" + item.who);
    if (item.who === "operator") {
      // a person is writing, said in words (not only by colour): "Оператор Анна:"
      li.appendChild(element("strong", "msg-label", item.label + ":"));
    }
    li.appendChild(document.createTextNode(item.text));
    if (item.state === "failed") {
      // a real button inside the list item: a list keeps only items, and a keyboard reaches it
      li.className += " msg-failed";
      var retry = element("button", "msg-note", words().not_sent);
      retry.type = "button";
      retry.addEventListener("click", function () {
        item.state = "sending";
        save();
        render();
        deliver(item, 0);
      });
      li.appendChild(retry);
    }
    return li;
  }

  function optionButtons(options) {
    // the buttons are a group inside an item of the conversation's list (a list holds items)
    var li = element("li", "options-item");
    var group = element("div", "options");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", words().options);
    li.appendChild(group);
    options.forEach(function (option) {
      var small = SMALL_OPTIONS.some(function (prefix) {
        return option.id.indexOf(prefix) === 0;
      });
      var button = element("button", small ? "option option-small" : "option", option.label);
      button.type = "button";
      button.addEventListener("click", function () {
        choose(option);
      });
      group.appendChild(button);
    });
    return li;
  }

  function render() {
    var fragment = document.createDocumentFragment();
    state.items.forEach(function (item) {
      fragment.appendChild(bubble(item));
    });
    // the buttons of the latest reply stay under what the visitor wrote since (while waiting
    // for an operator, most of what they write gets no reply, and the way out must stay)
    var last = null;
    for (var i = state.items.length - 1; i >= 0 && !last; i -= 1) {
      if (state.items[i].who !== "me") {
        last = state.items[i];
      }
    }
    if (last && last.options && last.options.length) {
      fragment.appendChild(optionButtons(last.options));
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    list.appendChild(fragment);
    list.scrollTop = list.scrollHeight;
  }

  function switchLanguage(code) {
    if (!texts[code] || code === lang) {
      return;
    }
    lang = code;
    var t = words();
    document.documentElement.setAttribute("lang", code);
    document.title = t.title;
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (node) {
      node.textContent = t[node.getAttribute("data-text")];
    });
    input.setAttribute("placeholder", t.placeholder);
    list.setAttribute("aria-label", t.messages);
    try {
      // a reload keeps the language the visitor chose
      var url = new URL(window.location.href);
      url.searchParams.set("lang", code);
      window.history.replaceState(null, "", url.toString());
    } catch (ignored) {
      // an old browser without URL: the page language only resets on reload
    }
  }

  /* --- sending --- */

  function post(path, body) {
    return window.fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Chat-Token": token },
      body: JSON.stringify(body),
    });
  }

  // A 403 means the page's token no longer fits the cookie: a fresh page brings a new one,
  // but at most once a minute, so a server that keeps refusing cannot make the page loop.
  function reloadOnce() {
    var last = Number(sessionStorage.getItem(RELOADED_KEY) || 0);
    if (Date.now() - last > 60000) {
      sessionStorage.setItem(RELOADED_KEY, String(Date.now()));
      window.location.reload();
    }
  }

  function retryLater(attempt, again, giveUp) {
    if (attempt >= RETRY_DELAYS.length) {
      giveUp();
      return;
    }
    window.setTimeout(function () {
      again(attempt + 1);
    }, RETRY_DELAYS[attempt]);
  }

  // Post `body` under its id until the server has it, a refusal, or the retries run out.
  function postReliably(path, body, attempt, done, failed) {
    var again = function (next) {
      postReliably(path, body, next, done, failed);
    };
    post(path, body).then(
      function (response) {
        if (response.status === 202) {
          done();
        } else if (response.status === 403) {
          failed();
          reloadOnce();
        } else if (response.status === 429 || response.status >= 500) {
          retryLater(attempt, again, failed);
        } else {
          failed();
        }
      },
      function () {
        retryLater(attempt, again, failed);
      }
    );
  }

  function deliver(item, attempt) {
    var body = Object.assign({ id: item.id }, item.payload);
    postReliably(
      "/chat/send",
      body,
      attempt,
      function () {
        item.state = "sent";
        save();
      },
      function () {
        item.state = "failed";
        save();
        render();
      }
    );
  }

  function send(payload, shown) {
    var item = { who: "me", text: shown, id: newId(), payload: payload, state: "sending" };
    state.items.push(item);
    save();
    render();
    deliver(item, 0);
  }

  function choose(option) {
    if (option.id.indexOf("lang:") === 0) {
      switchLanguage(option.id.slice(5));
    }
    send({ choice: option.id }, option.label);
  }

  function submit() {
    var text = input.value.trim();
    if (!text) {
      return;
    }
    input.value = "";
    fitInput();
    send({ text: text }, text);
    input.focus();
  }

  function start() {
    state.started = true;
    save();
    var hint = navigator.language || "";
    // ?lang= and ?src= of the page (a poster's link) go with it
    postReliably(
      "/chat/start" + window.location.search,
      { id: newId(), hint: hint },
      0,
      function () {},
      function () {
        state.started = false;
        save();
      }
    );
  }

  function fitInput() {
    input.style.height = "auto";
    input.style.height = input.scrollHeight + 2 + "px";
  }

  /* --- receiving --- */

  function setConnected(connected) {
    statusLine.hidden = connected;
  }

  function received(event) {
    // after a dropped connection the server sends again what followed the last id we read;
    // what did arrive after all is shown once
    if (event.lastEventId) {
      if (state.seen.indexOf(event.lastEventId) !== -1) {
        return;
      }
      state.seen = state.seen.concat([event.lastEventId]).slice(-SEEN_IDS);
    }
    var piece;
    try {
      piece = JSON.parse(event.data);
    } catch (ignored) {
      return;
    }
    if (!piece || typeof piece.text !== "string") {
      return;
    }
    // words from the transcript arrive again when a reopened page is shown it while they
    // also waited in the outbox for the closed one: shown once
    var ref = typeof piece.ref === "string" ? piece.ref : null;
    if (ref && state.items.some(function (shown) { return shown.ref === ref; })) {
      return;
    }
    var options = Array.isArray(piece.options) ? piece.options : [];
    var item = {
      who: "bot",
      text: piece.text,
      options: options.filter(function (o) {
        return o && typeof o.id === "string" && typeof o.label === "string";
      }),
    };
    if (piece.from === "user") {
      // the visitor's own words since the handover, sent again to a page that lost them
      item = { who: "me", text: piece.text, state: "sent" };
    } else if (piece.from === "operator" && typeof piece.label === "string") {
      item.who = "operator";
      item.label = piece.label;
    }
    if (ref) {
      item.ref = ref;
    }
    state.items.push(item);
    save();
    render();
  }

  function connect() {
    var last = state.seen[state.seen.length - 1];
    var source = new window.EventSource("/chat/events" + (last ? "?last=" + encodeURIComponent(last) : ""));
    source.onopen = function () {
      setConnected(true);
    };
    source.onmessage = received;
    source.onerror = function () {
      setConnected(false);
      // EventSource retries a dropped connection itself, but not a refused one (an error
      // status, a proxy's 502 during a restart): then it is closed and we open a new one
      if (source.readyState === window.EventSource.CLOSED) {
        source.close();
        window.setTimeout(connect, RECONNECT_DELAY);
      }
    };
  }

  /* --- wiring --- */

  sendButton.addEventListener("click", submit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", fitInput);

  render();
  state.items.forEach(function (item) {
    if (item.who === "me" && item.state === "sending") {
      deliver(item, 0); // interrupted by the reload: the same id, so never processed twice
    }
  });
  connect();
  if (!state.started && !state.items.length) {
    start();
  }
})();
