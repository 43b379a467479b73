/* The sampling page: events are made here, queued on the phone, and synced when the network is up.
 *
 * Every event gets its UUID on the phone before anything is sent, and stays in
 * localStorage until the server has answered it. A request that fails (no network,
 * server down, the answer lost on the way back) leaves the events queued; sending them
 * again is safe because the server answers a known event id as a duplicate and changes
 * nothing. So nothing is lost (the queue survives reloads) and nothing is doubled.
 *
 * Its own words are translated through Django's JavaScript catalog (/jsi18n/, loaded by the
 * page before this script): the msgids are the Chinese text, the English is in the djangojs
 * catalog. Without the catalog (it did not load, say the network went down first) the page
 * keeps working in Chinese. The log stores codes (kind, state), never the words shown, so
 * what the page counts does not depend on the language it was written in.
 */
(function () {
  "use strict";
  const root = document.getElementById("sampling");
  const cfgNode = document.getElementById("sampling-config");
  if (!root || !cfgNode || !document.getElementById("round")) return;
  const cfg = JSON.parse(cfgNode.textContent);
  const QUEUE = "wuyi.sampling.queue.v1";
  const LOG = "wuyi.sampling.log.v1";
  const CHOICE = "wuyi.sampling.choice.v1";
  const TUBE = "wuyi.sampling.tube.v1";
  const $ = (id) => document.getElementById(id);

  // gettext() and interpolate() of the catalog; without it, the Chinese msgid itself.
  const catalog = typeof window.gettext === "function" && typeof window.interpolate === "function";
  const gettext = catalog ? window.gettext : (text) => text;
  function interpolate(text, values) {
    if (catalog) return window.interpolate(text, values, true);
    return text.replace(/%\((\w+)\)s/g, (whole, name) => String(values[name]));
  }

  function load(key, fallback) {
    try {
      const value = JSON.parse(localStorage.getItem(key));
      return value === null ? fallback : value;
    } catch (e) {
      return fallback;
    }
  }
  function save(key, value) {
    localStorage.setItem(key, JSON.stringify(value));
  }

  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
  function uuid4() {
    if (window.crypto && crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  let queue = load(QUEUE, []);
  // Entries written before the log kept codes have only their (Chinese) label: give them a kind.
  // (Those labels were always Chinese: this reads stored data once, it is not the display text.)
  let log = load(LOG, []).map((entry) => {
    if (!entry.kind && entry.label) entry.kind = entry.label.startsWith("封管") ? "seal" : "bind";
    return entry;
  });
  let currentTube = load(TUBE, "");
  let syncing = false;

  // --- Round, site and desk -------------------------------------------------------
  const choice = load(CHOICE, {});
  function fill(select, items, value) {
    select.innerHTML = "";
    for (const item of items) {
      const option = document.createElement("option");
      option.value = item.value;
      option.textContent = item.label;
      select.appendChild(option);
    }
    if (items.some((i) => i.value === value)) select.value = value;
  }
  function refreshChoices() {
    fill($("round"), cfg.rounds.map((r) => ({ value: r.code, label: r.code + " " + r.name })), choice.round);
    const round = cfg.rounds.find((r) => r.code === $("round").value);
    const sites = cfg.sites.filter((s) => round && round.sites.includes(s.id));
    fill($("site"), sites.map((s) => ({ value: s.code, label: s.name })), choice.site);
    const site = sites.find((s) => s.code === $("site").value);
    const desks = site ? site.desks : [];
    fill($("desk"), desks.map((d) => ({ value: d.code, label: d.name || d.code })), choice.desk);
  }
  for (const id of ["round", "site", "desk"]) {
    $(id).addEventListener("change", () => {
      choice[id] = $(id).value;
      save(CHOICE, choice);
      refreshChoices();
    });
  }
  refreshChoices();

  // --- Events -------------------------------------------------------------------
  function base(type) {
    return {
      event_id: uuid4(),
      type: type,
      round: $("round").value,
      site: $("site").value,
      desk: $("desk").value,
      tube: currentTube,
      device_time: new Date().toISOString(),
    };
  }
  // kind: token, id or seal; ref: what the label shows (a token's start, a masked ID, the tube).
  function enqueue(event, kind, ref) {
    queue.push(event);
    save(QUEUE, queue);
    log.unshift({ event_id: event.event_id, tube: event.tube, kind: kind, ref: ref, state: "queued" });
    log = log.slice(0, 200);
    save(LOG, log);
    render();
    sync();
  }
  function setTube(value) {
    currentTube = value.trim();
    save(TUBE, currentTube);
    render();
  }

  $("tube").addEventListener("change", () => setTube($("tube").value));
  $("tube").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      setTube($("tube").value);
      $("person").focus();
    }
  });

  $("person-form").addEventListener("submit", (e) => {
    e.preventDefault();
    $("person-error").textContent = "";
    if ($("tube").value.trim() !== currentTube) setTube($("tube").value);
    const text = $("person").value.trim();
    if (!currentTube) {
      $("person-error").textContent = gettext("请先扫描试管条码");
      return;
    }
    if (!text) {
      $("person-error").textContent = gettext("请扫描采样码或输入证件号码");
      return;
    }
    const event = base("bind");
    if (text.startsWith("WY1:")) {
      event.token = text.slice(4);
      enqueue(event, "token", event.token.slice(0, 4));
    } else {
      event.id_type = $("id-type").value;
      event.id_number = text;
      event.name = $("name").value.trim();
      event.phone = $("phone").value.trim();
      enqueue(event, "id", text.slice(0, 6) + "****" + text.slice(-4));
    }
    $("person").value = "";
    $("name").value = "";
    $("phone").value = "";
    $("person").focus();
  });

  $("seal").addEventListener("click", () => {
    if (!currentTube) {
      $("person-error").textContent = gettext("请先扫描试管条码");
      return;
    }
    enqueue(base("seal"), "seal", currentTube);
    $("tube").value = "";
    setTube("");
    $("tube").focus();
  });

  // --- Sync ---------------------------------------------------------------------
  function setNet(online, message) {
    $("net").textContent = online ? gettext("在线") : message || gettext("离线,记录已保存在本机");
    $("net").className = online ? "online" : "offline";
  }
  function record(answer) {
    const entry = log.find((l) => l.event_id === answer.event_id);
    const state = answer.status === "duplicate" ? answer.outcome : answer.status;
    if (entry) {
      entry.state = state;
      entry.sealed = Boolean(answer.sealed);
      // The server's reason for a refusal, in the language chosen when it answered.
      entry.message = state === "rejected" ? answer.message || "" : "";
      if (answer.members !== undefined) entry.members = answer.members;
    }
    if (state === "rejected") {
      const reason = answer.message || answer.reason;
      $("person-error").textContent = interpolate(gettext("被拒绝:%(reason)s"), { reason: reason });
    }
  }
  async function sync() {
    if (syncing || !queue.length) return;
    syncing = true;
    try {
      while (queue.length) {
        const batch = queue.slice(0, cfg.batch);
        const response = await fetch(cfg.endpoint, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ events: batch }),
        });
        if (!response.ok) {
          let detail = "";
          try {
            detail = (await response.json()).detail || "";
          } catch (e) {
            detail = "";
          }
          const failed = gettext("上传失败(%(status)s)%(detail)s,记录已保存在本机");
          setNet(false, interpolate(failed, { status: response.status, detail: detail }));
          break;
        }
        const body = await response.json();
        const answered = new Set(body.answers.map((a) => a.event_id));
        body.answers.forEach(record);
        queue = queue.filter((e) => !answered.has(e.event_id));
        save(QUEUE, queue);
        save(LOG, log);
        setNet(true);
        if (!answered.size) break;
      }
    } catch (err) {
      setNet(false); // the network is down: the events stay queued
    } finally {
      syncing = false;
      render();
    }
  }

  // The words of a log entry, in the page's language now.
  function labelOf(entry) {
    if (entry.ref === undefined) return entry.label || ""; // written before the log kept codes
    if (entry.kind === "seal") return interpolate(gettext("封管 %(tube)s"), { tube: entry.ref });
    if (entry.kind === "token") return interpolate(gettext("扫码 %(token)s…"), { token: entry.ref });
    return interpolate(gettext("证件 %(number)s"), { number: entry.ref });
  }
  function messageOf(entry) {
    if (entry.state === "queued") return gettext("待上传");
    if (entry.state === "accepted") return entry.sealed ? gettext("已接受,已封管") : gettext("已接受");
    if (entry.state === "rejected") return entry.message || gettext("已拒绝");
    return entry.message || entry.state;
  }

  function render() {
    $("queued").textContent = String(queue.length);
    $("current-tube").textContent = currentTube || "—";
    if (document.activeElement !== $("tube")) $("tube").value = currentTube;
    const mine = log.filter((l) => l.tube === currentTube && l.state !== "rejected" && l.kind !== "seal");
    $("members").textContent = currentTube ? String(mine.length) : "0";
    const list = $("log");
    list.innerHTML = "";
    for (const entry of log.slice(0, 50)) {
      const li = document.createElement("li");
      li.className = entry.state;
      li.dataset.eventId = entry.event_id;
      li.dataset.kind = entry.kind;
      li.textContent = entry.tube + " · " + labelOf(entry) + " · " + messageOf(entry);
      list.appendChild(li);
    }
  }

  window.addEventListener("online", sync);
  window.addEventListener("offline", () => setNet(false));
  setInterval(sync, 3000);
  render();
  sync();

  // --- Camera scanning where the browser has BarcodeDetector ----------------------
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    const video = $("video");
    document.querySelectorAll("button.camera").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", async () => {
        let stream;
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        } catch (e) {
          $("person-error").textContent = gettext("无法打开摄像头,请手工输入");
          return;
        }
        const detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128", "code_39", "ean_13"] });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        const stop = () => {
          stream.getTracks().forEach((t) => t.stop());
          video.hidden = true;
        };
        const tick = async () => {
          try {
            const found = await detector.detect(video);
            if (found.length) {
              stop();
              const target = $(button.dataset.target);
              target.value = found[0].rawValue;
              if (button.dataset.target === "tube") {
                setTube(target.value);
                $("person").focus();
              } else {
                $("person-form").requestSubmit();
              }
              return;
            }
          } catch (e) {
            stop();
            return;
          }
          setTimeout(tick, 200);
        };
        tick();
      });
    });
  }
})();
