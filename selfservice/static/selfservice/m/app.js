// Elder-mode client: one screen at a time (the URL hash names it), a back button on every screen
// but the first, no pop-ups, no timers on input. Data is written with textContent only.
import { api, ApiError, NetworkError, clearToken, config, hasToken, setToken, uuid } from "./api.js";
import { preparePhoto } from "./images.js";

const MESSAGES = JSON.parse(document.getElementById("m-messages").textContent);
const BASE_TITLE = document.title;
const RELATIONSHIPS = ["child", "child_in_law", "spouse", "grandchild", "sibling", "other"];

function t(key, params = {}) {
  return (MESSAGES[key] || key).replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}

function plainDate(iso) {
  if (!iso) return "";
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  return t("date", { year, month, day });
}

// The main figure: the year and the day as two unbreakable pieces, so a narrow screen wraps between
// them ("2027年" / "11月30日") and never inside "30日".
function figureDate(node, iso) {
  node.replaceChildren();
  if (!iso) return;
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  node.append(el("span", {}, t("date_year", { year })), el("span", {}, t("date_day", { month, day })));
  node.setAttribute("aria-label", plainDate(iso));
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

// What the screens share. Nothing here outlives the page except the token (in localStorage).
const state = {
  me: null,
  phone: "",
  faceFor: null, // null: myself; {id, name}: a parent I act for
  faceBefore: undefined, // last_certified_at before the upload, to tell whether a lost upload arrived
  upload: null, // {blob, url, pensioner, lost, sending}
  result: null, // face API answer or error
  link: null,
  flash: "",
  death: null, // the report being written: {pensioner_id, name, client_request_id, date_of_death, place, blob, evidence_id}
  deathDone: null,
  zeroIds: {}, // village_id:period -> client_request_id, reused on retry
  chatPending: null, // {text, payload, request_id}, reused on retry
};

const $ = (root, selector) => root.querySelector(selector);
const screenOf = (name) => document.querySelector(`[data-screen="${name}"]`);
const slot = (screen, name) => $(screen, `[data-slot="${name}"]`);

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  if (text) node.textContent = text;
  return node;
}

function showError(screen, message) {
  const box = $(screen, ".error");
  if (!box) return;
  box.textContent = message || "";
  box.hidden = !message;
}

function errorText(err) {
  if (err instanceof NetworkError) return t("network_lost");
  if (err instanceof ApiError && err.status && err.status < 500 && err.message) {
    const details = Object.values(err.fields || {})
      .flat()
      .filter((m) => typeof m === "string" && m !== err.message);
    return [err.message, ...details].join(" ");
  }
  return t("server_error", { hotline: config.hotline });
}

function fail(screen, err) {
  if (err instanceof ApiError && err.status === 401) {
    clearToken();
    state.me = null;
    state.flash = t("logged_out");
    go("login");
    return;
  }
  showError(screen, errorText(err));
}

async function busy(button, work) {
  if (button.disabled) return;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

function go(name) {
  if (location.hash === "#" + name) render();
  else location.hash = name;
}

async function me() {
  if (!state.me) state.me = await api("GET", "me");
  return state.me;
}

function hasRole(info, role) {
  return info.roles.includes(role);
}

function personLabel(p) {
  const parts = [p.name];
  if (p.id_number_masked) parts.push(t("id_masked", { id: p.id_number_masked }));
  return parts.join(", ");
}

// --- screens --------------------------------------------------------------------------------------
const screens = {};

screens.login = {
  open(screen) {
    const notice = state.flash;
    state.flash = "";
    if (notice) showError(screen, notice);
  },
  async submit(screen, form) {
    const phone = form.phone.value.trim();
    await api("POST", "auth/code", { json: { phone } });
    state.phone = phone;
    form.reset();
    go("code");
  },
};

screens.code = {
  open(screen) {
    if (!state.phone) return go("login");
    slot(screen, "sent").textContent = t("code_sent", { phone: state.phone });
    $(screen, "#code").value = "";
  },
  async submit(screen, form) {
    const login = await api("POST", "auth/login", { json: { phone: state.phone, code: form.code.value.trim() } });
    setToken(login.token);
    state.me = null;
    go("home");
  },
  async resend(screen) {
    await api("POST", "auth/code", { json: { phone: state.phone } });
    slot(screen, "sent").textContent = t("code_sent", { phone: state.phone });
  },
};

screens.home = {
  async open(screen) {
    const info = await me();
    for (const node of screen.querySelectorAll("[data-role]")) node.hidden = !hasRole(info, node.dataset.role);
    for (const node of screen.querySelectorAll("[data-needs='pensioner']")) node.hidden = !info.pensioner_id;
    const box = slot(screen, "status");
    const notice = slot(screen, "notice");
    if (!info.pensioner_id) {
      box.hidden = true;
      notice.hidden = false;
      notice.textContent = t("no_pensioner");
      return;
    }
    notice.hidden = true;
    await showLinkRequests(screen);
    const status = await api("GET", "certification/status");
    slot(screen, "title").textContent = status.display.title;
    slot(screen, "sentence").textContent = status.display.sentence;
    figureDate(slot(screen, "due"), status.next_due);
    const primary = slot(screen, "primary");
    const action = status.display.action;
    primary.hidden = action === "none";
    primary.textContent = status.display.action_label;
    primary.href = { start_face_certification: "#face", view_history: "#history" }[action] || `tel:${config.hotline}`;
    primary.onclick = () => {
      state.faceFor = null;
    };
    box.hidden = false;
  },
  async logout(screen) {
    try {
      await api("DELETE", "auth/devices/current");
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    clearToken();
    state.me = null;
    go("login");
  },
};

// Family members asking to act for me: I answer here, in my own app (or by replying to the SMS).
async function showLinkRequests(screen) {
  const box = slot(screen, "requests");
  const list = slot(screen, "request-list");
  const requests = await api("GET", "me/link-requests");
  list.replaceChildren();
  for (const request of requests) {
    const li = el("li");
    li.append(
      el("p", {}, t("link_asks", {
        name: request.requester_name || request.requester_phone,
        phone: request.requester_phone,
        relationship: t(`relationship_${request.relationship}`),
      })),
    );
    for (const [decision, label, kind] of [["approve", "link_agree", "primary"], ["decline", "link_refuse", "secondary"]]) {
      const b = el("button", { type: "button", class: `button ${kind}`, "data-decision": decision }, t(label));
      b.onclick = async () => {
        await api("POST", `me/link-requests/${request.id}/${decision}`);
        state.flash = "";
        go("home");
      };
      li.append(b);
    }
    list.append(li);
  }
  box.hidden = !requests.length;
}

function statusQuery() {
  return state.faceFor ? { pensioner: state.faceFor.id } : undefined;
}

screens.face = {
  parent: () => (state.faceFor ? "proxy" : "home"),
  async open(screen) {
    const heading = slot(screen, "heading");
    heading.dataset.plain ||= heading.textContent;
    heading.textContent = state.faceFor?.name ? t("certify_for", { name: state.faceFor.name }) : heading.dataset.plain;
    $(screen, "input[type=file]").value = "";
    state.faceBefore = undefined;
    try {
      const status = await api("GET", "certification/status", { query: statusQuery() });
      state.faceBefore = status.last_certified_at;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      // Not needed to take the photo; only used to tell whether a lost upload arrived.
    }
  },
  async change(screen, input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const blob = await preparePhoto(file, config.faceMaxSide, { keepUndecodable: true });
    if (state.upload && state.upload.url) URL.revokeObjectURL(state.upload.url);
    state.upload = {
      blob,
      url: URL.createObjectURL(blob),
      pensioner: state.faceFor ? state.faceFor.id : null,
      before: state.faceBefore,
      lost: false,
      sent: false,
    };
    go("face-send");
  },
};

async function sendFace(screen) {
  const upload = state.upload;
  const progress = slot(screen, "progress");
  const again = $(screen, "[data-action='face-resend']");
  upload.sent = true;
  showError(screen, "");
  again.hidden = true;
  progress.hidden = false;
  progress.textContent = t("sending");
  try {
    if (upload.lost) {
      // The last try may have reached the server before the line dropped: look before sending again.
      const status = await api("GET", "certification/status", { query: statusQuery() });
      if (status.last_certified_at && status.last_certified_at !== upload.before) {
        state.result = { arrived: true, next_due: status.next_due };
        return go("face-result");
      }
    }
    const form = new FormData();
    form.append("image", upload.blob, upload.blob.type === "image/png" ? "selfie.png" : "selfie.jpg");
    if (upload.pensioner) form.append("pensioner", upload.pensioner);
    const answer = await api("POST", "facecheck/verify", { form });
    state.result = { answer, afterLoss: upload.lost };
    go("face-result");
  } catch (err) {
    if (err instanceof NetworkError) {
      upload.lost = true;
      progress.hidden = true;
      showError(screen, t("network_lost_upload"));
      again.hidden = false;
      return;
    }
    if (err instanceof ApiError && err.status === 401) throw err;
    state.result = { error: err };
    go("face-result");
  }
}

screens["face-send"] = {
  parent: () => "face",
  open(screen) {
    if (!state.upload) return go("face");
    slot(screen, "preview").src = state.upload.url;
    // Not awaited: the screen is shown (and its progress line read out) while the photo travels.
    if (!state.upload.sent) sendFace(screen).catch((err) => fail(screen, err));
    return undefined;
  },
  "face-resend": (screen) => sendFace(screen),
};

screens["face-result"] = {
  open(screen) {
    const result = state.result;
    if (!result) return go("home");
    const outcome = slot(screen, "outcome");
    const hint = slot(screen, "hint");
    const dueBlock = slot(screen, "due-block");
    const again = slot(screen, "again");
    let kind = "no";
    let due = null;
    hint.textContent = "";
    if (result.arrived) {
      kind = "ok";
      outcome.textContent = t("face_accepted");
      hint.textContent = t("arrived_already");
      due = result.next_due;
    } else if (result.answer) {
      const a = result.answer;
      hint.textContent = a.message;
      if (a.result === "accepted") {
        kind = "ok";
        outcome.textContent = t("face_accepted");
        due = a.next_due;
      } else if (a.result === "review") {
        kind = "wait";
        outcome.textContent = t("face_review");
      } else {
        outcome.textContent = t("face_refused");
        if (a.result === "replay" && result.afterLoss) hint.textContent = t("replay_after_loss");
      }
    } else {
      outcome.textContent = t("face_refused");
      hint.textContent = errorText(result.error);
    }
    outcome.className = kind;
    const final = ["face_attempts_exhausted", "face_not_enrolled", "benefit_ended"].includes(result.error?.code);
    again.hidden = kind !== "no" || final;
    dueBlock.hidden = !due;
    figureDate(slot(screen, "due"), due);
    state.upload = null;
    state.me = null;
  },
};

screens.proxy = {
  async open(screen) {
    const list = slot(screen, "links");
    const empty = slot(screen, "empty");
    list.replaceChildren();
    empty.hidden = !state.flash;
    empty.textContent = state.flash;
    state.flash = "";
    const links = await api("GET", "relatives/links");
    let shown = 0;
    for (const link of links) {
      const li = el("li");
      if (link.status === "approved") {
        const b = el("button", { type: "button", class: "button primary" }, t("certify_for", { name: link.pensioner.name }));
        b.onclick = () => {
          state.faceFor = { id: link.pensioner.id, name: link.pensioner.name };
          go("face");
        };
        li.append(el("p", {}, personLabel(link.pensioner)), b);
      } else {
        continue;
      }
      list.append(li);
      shown += 1;
    }
    if (!shown && empty.hidden) {
      empty.hidden = false;
      empty.textContent = t("no_links");
    }
  },
};

screens["link-request"] = {
  open(screen) {
    const box = slot(screen, "relationships");
    if (box.childElementCount) return;
    RELATIONSHIPS.forEach((value, i) => {
      const label = el("label");
      const input = el("input", { type: "radio", name: "relationship", value });
      if (i === 0) input.checked = true;
      label.append(input, document.createTextNode(t(`relationship_${value}`)));
      box.append(label);
    });
  },
  async submit(screen, form) {
    const answer = await api("POST", "relatives/links", {
      json: {
        name: form.name.value.trim(),
        id_number: form.id_number.value.trim(),
        relationship: form.relationship.value,
        requester_name: form.requester_name.value.trim(),
      },
    });
    form.reset();
    state.me = null;
    // The same answer whether or not the person was found: the parent answers on their own phone.
    state.flash = answer.message || t("link_requested");
    return go("proxy");
  },
};

function chooseForDeath(person) {
  state.death = {
    pensioner_id: person.id,
    name: person.name,
    client_request_id: uuid(),
    date_of_death: "",
    place: "",
    blob: null,
    evidence_id: null,
  };
  go("death-details");
}

function personButtons(list, people) {
  for (const p of people) {
    const b = el("button", { type: "button", class: "button secondary" }, personLabel(p));
    b.onclick = () => chooseForDeath(p);
    list.append(el("li", {}, ""));
    list.lastChild.append(b);
  }
}

screens.death = {
  async open(screen) {
    const info = await me();
    const list = slot(screen, "people");
    const empty = slot(screen, "empty");
    list.replaceChildren();
    empty.hidden = true;
    const assistant = hasRole(info, "village_assistant");
    $(screen, "[data-form='death-search']").hidden = !assistant;
    const links = (await api("GET", "relatives/links")).filter((l) => l.status === "approved");
    personButtons(
      list,
      links.map((l) => l.pensioner),
    );
    if (!links.length && !assistant) {
      empty.hidden = false;
      empty.textContent = t("no_links");
    }
  },
  async submit(screen, form) {
    const found = await api("GET", "assistant/pensioners", { query: { search: form.search.value.trim() } });
    const list = slot(screen, "people");
    list.replaceChildren();
    const people = Array.isArray(found) ? found : found.results || [];
    personButtons(list, people);
    const empty = slot(screen, "empty");
    empty.hidden = people.length > 0;
    empty.textContent = t("search_none");
  },
};

screens["death-details"] = {
  open(screen) {
    if (!state.death) return go("death");
    slot(screen, "who").textContent = state.death.name;
    const date = $(screen, "#death-date");
    date.max = today();
    date.value = state.death.date_of_death;
    $(screen, "#death-place").value = state.death.place;
    return undefined;
  },
  submit(screen, form) {
    state.death.date_of_death = form.date_of_death.value;
    state.death.place = form.place.value.trim();
    if (!state.death.date_of_death || !state.death.place) return showError(screen, t("field_required"));
    return go("death-photo");
  },
};

screens["death-photo"] = {
  open(screen) {
    if (!state.death || !state.death.date_of_death) return go("death-details");
    $(screen, "input[type=file]").value = "";
    const photo = slot(screen, "photo-state");
    photo.textContent = state.death.blob ? t("photo_ready") : t("no_photo");
    photo.className = state.death.blob ? "notice ok" : "notice";
    return undefined;
  },
  async change(screen, input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const blob = await preparePhoto(file, config.evidenceMaxSide);
    if (!blob) return showError(screen, t("photo_unreadable"));
    state.death.blob = blob;
    state.death.evidence_id = null;
    const photo = slot(screen, "photo-state");
    photo.textContent = t("photo_ready");
    photo.className = "notice ok";
    return undefined;
  },
  async "death-send"(screen) {
    const d = state.death;
    const photo = slot(screen, "photo-state");
    photo.textContent = t("sending");
    try {
      if (d.blob && !d.evidence_id) {
        const form = new FormData();
        form.append("file", d.blob, d.blob.type === "image/png" ? "certificate.png" : "certificate.jpg");
        // The same bytes from the same person return the first record, so a retry is harmless.
        d.evidence_id = (await api("POST", "evidence", { form })).id;
      }
      const report = await api("POST", "death-reports", {
        json: {
          client_request_id: d.client_request_id,
          pensioner_id: d.pensioner_id,
          date_of_death: d.date_of_death,
          place: d.place,
          evidence_ids: d.evidence_id ? [d.evidence_id] : [],
        },
      });
      state.deathDone = report;
      state.death = null;
      go("death-done");
    } catch (err) {
      photo.textContent = d.blob ? t("photo_ready") : t("no_photo");
      if (err instanceof NetworkError) return showError(screen, `${t("network_lost")} ${t("report_retry_same")}`);
      throw err;
    }
    return undefined;
  },
};

screens["death-done"] = {
  open(screen) {
    if (!state.deathDone) return go("home");
    slot(screen, "done").textContent = t("report_sent", { id: state.deathDone.id });
    return undefined;
  },
};

const VILLAGE_STATE = {
  on_time: ["ok", "village_on_time"],
  late: ["ok", "village_late"],
  missing: ["no", "village_missing"],
  not_due: ["wait", "village_not_due"],
};

screens.village = {
  async open(screen, keepNotice = false) {
    const list = slot(screen, "villages");
    if (!keepNotice) slot(screen, "done").hidden = true;
    const villages = await api("GET", "assistant/villages");
    list.replaceChildren();
    if (!villages.length) list.append(el("li", {}, t("no_villages")));
    for (const v of villages) {
      const [year, month] = v.period.split("-").map(Number);
      const period = t("period", { year, month });
      const [kind, word] = VILLAGE_STATE[v.state] || ["wait", "village_not_due"];
      const li = el("li");
      li.append(el("p", { class: "title" }, t("village_period", { village: v.village_name, period })));
      li.append(el("p", { class: kind }, t(word)));
      if (!v.report_id) {
        const b = el("button", { type: "button", class: "button primary" }, t("zero_report_button", { village: v.village_name }));
        b.onclick = () => busy(b, () => this.zero(screen, v, period).catch((err) => fail(screen, err)));
        li.append(b);
      }
      list.append(li);
    }
  },
  async zero(screen, v, period) {
    showError(screen, "");
    const key = `${v.village_id}:${v.period}`;
    state.zeroIds[key] ||= uuid();
    const done = slot(screen, "done");
    try {
      await api("POST", "monthly-reports", {
        json: { client_request_id: state.zeroIds[key], village_id: v.village_id, period: v.period, is_zero: true },
      });
      done.textContent = t("zero_report_done", { village: v.village_name, period });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "report_exists")) throw err;
      done.textContent = t("report_exists", { village: v.village_name });
    }
    done.className = "notice ok";
    done.hidden = false;
    await this.open(screen, true);
  },
};

function chatLine(message) {
  const li = el("li", { class: message.direction === "in" ? "in" : "out" });
  li.append(el("span", { class: "who" }, message.direction === "in" ? t("chat_you") : t("chat_bot")));
  li.append(document.createTextNode(message.text));
  return li;
}

function chatButtons(screen, message) {
  const box = slot(screen, "buttons");
  box.replaceChildren();
  if (!message || message.direction !== "out") return;
  for (const b of message.buttons || []) {
    const button = el("button", { type: "button", class: "button secondary" }, b.label);
    button.onclick = () => busy(button, () => sendChat(screen, { payload: b.payload, text: b.label }).catch((e) => fail(screen, e)));
    box.append(button);
  }
  const action = message.action;
  if (!action) return;
  if (action.type === "start_face_certification") {
    const a = el("a", { class: "button primary", href: "#face" }, t("chat_open_face"));
    a.onclick = () => {
      state.faceFor = action.proxy ? { id: action.pensioner_id, name: "" } : null;
    };
    box.append(a);
  } else if (action.type === "call") {
    box.append(el("a", { class: "button primary", href: `tel:${action.phone}` }, t("chat_call", { phone: action.phone })));
  } else if (action.type === "open" && action.screen === "relative_links") {
    box.append(el("a", { class: "button primary", href: "#proxy" }, t("chat_open_links")));
  }
}

async function sendChat(screen, { text = "", payload = "" }) {
  showError(screen, "");
  const pending = state.chatPending;
  // A retry of the same words reuses the request id: the server answers it once.
  if (!pending || pending.text !== text || pending.payload !== payload) {
    state.chatPending = { text, payload, request_id: uuid() };
  }
  const body = payload ? { payload, request_id: state.chatPending.request_id } : { text, request_id: state.chatPending.request_id };
  const answer = await api("POST", "chatbot/messages", { json: body });
  state.chatPending = null;
  const log = slot(screen, "log");
  log.append(chatLine({ direction: "in", text }), chatLine(answer.reply));
  chatButtons(screen, answer.reply);
  answer.reply && log.lastChild.scrollIntoView({ block: "nearest" });
}

screens.chat = {
  async open(screen) {
    const page = await api("GET", "chatbot/messages", { query: { page_size: 20 } });
    const messages = (page.results || []).slice().reverse();
    slot(screen, "log").replaceChildren(...messages.map(chatLine));
    chatButtons(screen, messages[messages.length - 1]);
  },
  async submit(screen, form) {
    const text = form.text.value.trim();
    if (!text) return showError(screen, t("field_required"));
    await sendChat(screen, { text });
    form.reset();
    return undefined;
  },
};

screens.history = {
  async open(screen) {
    const list = slot(screen, "records");
    list.replaceChildren();
    const page = await api("GET", "certification/history", { query: { page_size: 50 } });
    if (!page.results.length) list.append(el("li", {}, t("no_history")));
    for (const c of page.results) {
      list.append(
        el("li", {}, t("history_item", { date: plainDate(c.certified_at.slice(0, 10)), method: c.method_label, until: plainDate(c.valid_until) })),
      );
    }
  },
};

// --- wiring ---------------------------------------------------------------------------------------
let current = null;

async function render() {
  let name = location.hash.slice(1) || "home";
  if (!screenOf(name)) name = "home";
  if (!hasToken() && name !== "login" && name !== "code") name = "login";
  if (hasToken() && (name === "login" || name === "code")) name = "home";
  if ("#" + name !== location.hash) history.replaceState(null, "", "#" + name);
  current = name;
  delete document.body.dataset.ready;
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.dataset.screen !== name;
  const screen = screenOf(name);
  showError(screen, "");
  const heading = $(screen, "h1");
  heading.tabIndex = -1;
  window.scrollTo(0, 0);
  try {
    await screens[name]?.open?.(screen);
  } catch (err) {
    if (current === name) fail(screen, err);
  }
  if (current !== name) return;
  document.title = `${heading.textContent} · ${BASE_TITLE}`;
  document.body.dataset.ready = name; // the screen has its data (tests wait for this)
  if (document.activeElement === document.body) heading.focus({ preventScroll: true });
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  const screen = form.closest(".screen");
  const handler = screens[screen.dataset.screen];
  event.preventDefault();
  if (!handler?.submit) return;
  const button = form.querySelector("[type=submit]");
  showError(screen, "");
  busy(button, async () => {
    try {
      await handler.submit(screen, form);
    } catch (err) {
      fail(screen, err);
    }
  });
});

document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-back], [data-action]");
  if (!target) return;
  const screen = target.closest(".screen");
  const handler = screens[screen.dataset.screen] || {};
  if (target.hasAttribute("data-back")) {
    go(handler.parent ? handler.parent() : screen.dataset.parent || "home");
    return;
  }
  const action = handler[target.dataset.action];
  if (!action) return;
  showError(screen, "");
  busy(target, async () => {
    try {
      await action.call(handler, screen, target);
    } catch (err) {
      fail(screen, err);
    }
  });
});

document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.matches("input[type=file]")) return;
  const screen = input.closest(".screen");
  const handler = screens[screen.dataset.screen];
  showError(screen, "");
  handler?.change?.(screen, input).catch((err) => fail(screen, err));
});

window.addEventListener("hashchange", render);
render();
