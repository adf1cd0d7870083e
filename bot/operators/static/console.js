// The operator console's live parts: the queue and a conversation update themselves from
// server-sent events. Every text goes into the page through textContent or DOM properties,
// never as HTML: what a user wrote must never become markup.
"use strict";

(() => {
  const dataNode = document.getElementById("console-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const words = data.words || {};
  let skew = 0; // the server's clock minus ours, in seconds

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  const fill = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));

  const notice = (text) => {
    const node = document.getElementById("notice");
    node.textContent = text || "";
    node.hidden = !text;
  };

  const watchConnection = (source) => {
    let lost = false;
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) {
        lost = true;
        notice(words.reconnecting);
      }
    });
    source.addEventListener("open", () => {
      if (lost) notice("");
      lost = false;
    });
    source.addEventListener("logout", () => {
      source.close();
      window.location.assign("/operator/login");
    });
  };

  const waited = (since) => {
    if (since === null || since === undefined || since === "") return words.answered;
    const minutes = Math.floor((Date.now() / 1000 + skew - Number(since)) / 60);
    if (minutes < 1) return words.under_minute;
    if (minutes < 60) return fill(words.minutes, { minutes });
    return fill(words.hours, { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
  };

  const refreshWaited = () => {
    document.querySelectorAll(".waited").forEach((cell) => {
      cell.textContent = waited(cell.dataset.since);
    });
  };

  const takeForm = (id) => {
    const form = el("form", "inline");
    form.method = "post";
    form.action = `/operator/c/${encodeURIComponent(id)}/take`;
    const csrf = el("input");
    csrf.type = "hidden";
    csrf.name = "csrf";
    csrf.value = data.csrf;
    const button = el("button", null, words.take);
    button.type = "submit";
    form.append(csrf, button);
    return form;
  };

  const queueRow = (row, kind) => {
    const tr = el("tr", row.urgent ? "urgent" : null);
    const tag = el("td");
    const link = el("a", null, row.tag);
    link.href = `/operator/c/${encodeURIComponent(row.id)}`;
    tag.append(link);
    if (row.urgent) tag.append(" ", el("span", "badge", words.urgent));
    const since = el("td", "waited", waited(row.since));
    since.dataset.since = row.since === null ? "" : String(row.since);
    tr.append(
      tag,
      el("td", null, row.lang_label),
      el("td", null, row.channel_label),
      el("td", null, row.reason_label),
      since,
    );
    // only a waiting request has an action (Take); my conversations have no such column
    if (kind === "waiting") {
      const action = el("td");
      action.append(takeForm(row.id));
      tr.append(action);
    }
    return tr;
  };

  const renderRows = (kind, rows) => {
    document.getElementById(kind).replaceChildren(...rows.map((row) => queueRow(row, kind)));
    document.getElementById(`${kind}-empty`).hidden = rows.length > 0;
  };

  const queuePage = () => {
    const title = document.title;
    skew = data.now - Date.now() / 1000;
    refreshWaited();
    const source = new EventSource("/operator/events");
    watchConnection(source);
    source.addEventListener("queue", (event) => {
      const queue = JSON.parse(event.data);
      skew = queue.now - Date.now() / 1000;
      renderRows("waiting", queue.waiting);
      renderRows("mine", queue.mine);
      document.getElementById("waiting-count").textContent = String(queue.waiting.length);
      document.title = queue.waiting.length ? `(${queue.waiting.length}) ${title}` : title;
    });
    setInterval(refreshWaited, 15000);
  };

  const lineItem = (line) => {
    const item = el("li", `line ${line.kind}`);
    item.dataset.id = String(line.id);
    const meta = el("span", "meta");
    meta.append(el("time", null, line.time), ` ${line.who}`);
    item.append(meta, el("span", "text", line.text));
    return item;
  };

  const applyStatus = (status) => {
    document.getElementById("status").textContent = status.status_label;
    document.getElementById("urgent").hidden = !status.urgent;
    for (const name of ["take", "reply", "close", "handback", "requeue"]) {
      const form = document.getElementById(`${name}-form`);
      if (form) form.hidden = !status.actions[name];
    }
    const canned = document.getElementById("canned");
    if (canned) canned.hidden = !status.actions.reply;
  };

  const conversationPage = () => {
    const list = document.getElementById("lines");
    const form = document.getElementById("reply-form");
    const box = document.getElementById("reply-text");
    let after = data.after;
    const scroll = () => {
      if (list.lastElementChild) list.lastElementChild.scrollIntoView({ block: "nearest" });
    };
    const source = new EventSource(`/operator/c/${encodeURIComponent(data.id)}/events?after=${after}`);
    watchConnection(source);
    source.addEventListener("status", (event) => applyStatus(JSON.parse(event.data)));
    source.addEventListener("lines", (event) => {
      for (const line of JSON.parse(event.data)) {
        if (line.id > after) {
          after = line.id;
          list.append(lineItem(line));
        }
      }
      scroll();
    });
    document.querySelectorAll(".canned-reply").forEach((button) => {
      button.addEventListener("click", () => {
        box.value = button.dataset.text;
        box.focus();
      });
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!box.value.trim()) return;
      const body = new URLSearchParams({ text: box.value });
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body,
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRF-Token": data.csrf },
        });
        const answer = await response.json();
        if (answer.ok) {
          box.value = "";
          notice("");
        } else {
          notice(answer.message);
        }
      } catch (error) {
        notice(words.not_sent);
      }
    });
    scroll();
  };

  const page = document.body.dataset.page;
  if (page === "queue") queuePage();
  if (page === "conversation") conversationPage();
})();
