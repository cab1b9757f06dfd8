// Beacon's live page. Plain browser JavaScript, no build step: it polls the JSON API,
// follows /ws for api-metrics, and draws with uPlot (served from node_modules). Every
// value from the service goes in with textContent, never as HTML.
'use strict';
(() => {
  const WINDOW_SECONDS = 601; // the last 10 minutes, one column a second
  const MAX_SERIES = 12;
  const COLORS = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#ff7f0e',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#7f7f7f',
    '#bcbd22',
    '#17becf',
    '#393b79',
    '#637939',
  ];

  const panel = (id) => document.getElementById(id);
  const field = (id, name) => panel(id).querySelector(`[data-field="${name}"]`);
  const dash = (v) => (v === null || v === undefined ? '–' : String(v));
  const ms = (ns) => (ns === null || ns === undefined ? '–' : (ns / 1e6).toFixed(ns < 1e7 ? 2 : 1));

  function row(cells) {
    const tr = document.createElement('tr');
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = dash(c);
      td.title = dash(c);
      tr.appendChild(td);
    }
    return tr;
  }
  function fill(tbody, rows, emptyText) {
    if (rows.length > 0) return tbody.replaceChildren(...rows.map(row));
    const tr = row([emptyText]);
    tr.firstChild.colSpan = tbody.parentElement.querySelectorAll('th').length;
    tr.firstChild.className = 'muted';
    tbody.replaceChildren(tr);
  }
  function off(id, why) {
    const p = panel(id);
    if (p.classList.contains('off')) return;
    p.classList.add('off');
    for (const el of p.querySelectorAll('table, .chart, h3, .big')) el.hidden = true;
    const note = document.createElement('p');
    note.className = 'off-note';
    note.textContent = why;
    p.appendChild(note);
  }
  // ---- API key (API_KEYS_FOR_READS; the live feed needs one whenever API_KEYS is set) ----
  // Kept in this tab's sessionStorage only, sent as X-API-Key, and to /ws as a subprotocol
  // (a browser cannot set headers on a WebSocket).
  const KEY_ITEM = 'beacon-api-key';
  const apiKey = () => sessionStorage.getItem(KEY_ITEM);
  function askForKey(why) {
    const form = document.getElementById('key-form');
    if (!form.hidden) return;
    form.hidden = false;
    document.getElementById('key-why').textContent = why;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const key = document.getElementById('key-input').value.trim();
      if (key) sessionStorage.setItem(KEY_ITEM, key);
      location.reload();
    });
  }
  async function getJson(path) {
    const headers = { accept: 'application/json' };
    const key = apiKey();
    if (key) headers['x-api-key'] = key;
    const res = await fetch(path, { headers });
    if (res.status === 401) {
      askForKey(key ? 'That API key was refused.' : 'This Beacon needs an API key for reads.');
    }
    const body = await res.json().catch(() => null);
    return { status: res.status, body };
  }
  const base64url = (text) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(text)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  /** Runs `task` now and every `everyMs`, never two at once; a failure shows in the panel. */
  function every(everyMs, id, task) {
    const run = async () => {
      try {
        await task();
        panel(id).removeAttribute('data-error');
      } catch (err) {
        panel(id).setAttribute('data-error', String(err && err.message ? err.message : err));
      }
      setTimeout(run, everyMs);
    };
    run();
  }

  // ---- health: which modules are on, and the status pill -------------------------------
  let udpPort = null; // api-metrics' bound UDP port, from /health (null until known)
  async function health() {
    const { status, body } = await getJson('/health');
    const pill = document.getElementById('health');
    if (status === 401) {
      // Not a module down: this page has no key (or a refused one) for the reads.
      pill.textContent = apiKey() ? 'key refused' : 'key needed';
      pill.className = 'pill warn';
      return {};
    }
    // A 503 lists the failing modules under `error`; any other answer has no such list.
    const modules = body && body.status === 'error' && typeof body.error === 'object';
    const failing = modules ? Object.keys(body.error || {}) : [];
    pill.textContent = status === 200 ? 'all modules up' : `down: ${failing.join(', ') || status}`;
    pill.className = `pill ${status === 200 ? 'ok' : 'error'}`;
    const details = (body && body.details) || {};
    // Only the process that binds it knows the port (in a cluster, worker 0): keep the last.
    const port = details.apiMetrics && details.apiMetrics.udp && details.apiMetrics.udp.port;
    if (typeof port === 'number') udpPort = port;
    return details;
  }

  // ---- request counter -----------------------------------------------------------------
  async function counter() {
    const { status, body } = await getJson('/counter');
    if (status !== 200) throw new Error(`GET /counter: ${status}`);
    field('counter', 'count').textContent = body.count.toLocaleString('en');
    field('counter', 'caption').textContent = `requests in the last ${body.windowSeconds} s`;
  }

  // ---- latency ---------------------------------------------------------------------------
  async function latency() {
    const { status, body } = await getJson('/metrics');
    if (status !== 200) throw new Error(`GET /metrics: ${status}`);
    const shown = body
      .slice(0, 100)
      .map((m) => [m.MetricID, m.Count, ms(m.P50), ms(m.P95), ms(m.P99), `${m.Window / 1e9} s`]);
    if (body.length > shown.length) shown.push([`… and ${body.length - shown.length} more`]);
    fill(
      field('latency', 'rows'),
      shown,
      'no metrics yet: POST /metrics/{id}/latency, or send StatsD timers',
    );
  }

  // ---- rockets -----------------------------------------------------------------------------
  const sort = { field: 'id', order: 'asc' };
  async function rockets() {
    const { status, body } = await getJson(`/rockets?sort=${sort.field}&order=${sort.order}`);
    if (status !== 200) throw new Error(`GET /rockets: ${status}`);
    const shown = body
      .slice(0, 200)
      .map((r) => [
        r.id,
        r.type,
        r.speed,
        r.mission,
        r.status,
        r.updatedAt && r.updatedAt.replace('T', ' ').slice(0, 19),
      ]);
    if (body.length > shown.length) shown.push([`… and ${body.length - shown.length} more`]);
    fill(field('rockets', 'rows'), shown, 'no rockets yet: POST /messages');
  }
  for (const th of panel('rockets').querySelectorAll('th[data-sort]')) {
    th.addEventListener('click', () => {
      sort.order = sort.field === th.dataset.sort && sort.order === 'asc' ? 'desc' : 'asc';
      sort.field = th.dataset.sort;
      for (const other of panel('rockets').querySelectorAll('th')) other.className = '';
      th.className = `sorted ${sort.order}`;
      rockets();
    });
  }
  panel('rockets').querySelector('th[data-sort="id"]').className = 'sorted asc';

  // ---- stream analysis -------------------------------------------------------------------
  let posts = null; // unknown until the first status poll
  async function streamStatus() {
    const { status, body } = await getJson('/analysis/status');
    if (status !== 200) throw new Error(`GET /analysis/status: ${status}`);
    posts = body.postsRetained;
    field('stream', 'status').textContent =
      `${body.state}${body.leader ? ' (this instance reads the stream)' : ''} · ` +
      `${body.eventsReceived.toLocaleString('en')} events · ${posts.toLocaleString('en')} posts kept · ` +
      `${body.parseErrors} parse errors · ${body.reconnects} reconnects`;
  }
  async function streamPercentiles() {
    // The first run comes before the first status poll has answered: ask it first, so the
    // panel does not say "no posts yet" for ten seconds when there are posts.
    if (posts === null) await streamStatus();
    if (posts === 0) return fill(field('stream', 'rows'), [], 'no posts yet');
    const rows = [];
    // The server fills the list in from the stream-analysis module (src/stream-analysis/post.ts).
    for (const d of panel('stream').dataset.dimensions.split(',')) {
      const { status, body } = await getJson(`/analysis?duration=24h&dimension=${d}&mode=history`);
      if (status === 200 && body[`${d}_p50`] !== null) {
        rows.push([d, body.total_posts, body[`${d}_p50`], body[`${d}_p90`], body[`${d}_p99`]]);
      }
    }
    fill(field('stream', 'rows'), rows, 'no post carries any dimension yet');
  }

  // ---- api-metrics: the last 10 minutes, then live over /ws --------------------------------
  const chart = { xs: [], ys: new Map(), plot: null, dirty: false, rebuild: false };
  const latest = [];
  function ensureSeries(key) {
    if (chart.ys.has(key) || chart.ys.size >= MAX_SERIES) return chart.ys.get(key);
    const ys = new Array(chart.xs.length).fill(null);
    chart.ys.set(key, ys);
    chart.rebuild = true;
    return ys;
  }
  function advanceTo(second) {
    if (chart.xs.length === 0) {
      for (let s = second - WINDOW_SECONDS + 1; s <= second; s++) chart.xs.push(s);
      for (const ys of chart.ys.values()) ys.push(...new Array(WINDOW_SECONDS).fill(null));
      return;
    }
    let last = chart.xs[chart.xs.length - 1];
    while (last < second) {
      chart.xs.push(++last);
      for (const ys of chart.ys.values()) ys.push(null);
    }
    const extra = chart.xs.length - WINDOW_SECONDS;
    if (extra > 0) {
      chart.xs.splice(0, extra);
      for (const ys of chart.ys.values()) ys.splice(0, extra);
    }
  }
  function draw() {
    if (!chart.dirty && !chart.rebuild) return;
    const el = field('api-metrics', 'chart');
    const data = [chart.xs, ...chart.ys.values()];
    if (chart.rebuild || !chart.plot) {
      if (chart.plot) chart.plot.destroy();
      const keys = [...chart.ys.keys()];
      chart.plot = new uPlot(
        {
          width: Math.max(300, el.clientWidth),
          height: 260,
          scales: { x: { time: true } },
          series: [
            {},
            ...keys.map((label, i) => ({
              label,
              stroke: COLORS[i % COLORS.length],
              spanGaps: true,
              points: { show: true, size: 4 },
              value: (_u, v) => (v === null ? '–' : `${v} ms`),
            })),
          ],
          axes: [{}, { label: 'ms', size: 60 }],
        },
        data,
        el,
      );
    } else {
      chart.plot.setData(data);
    }
    chart.dirty = chart.rebuild = false;
  }
  window.addEventListener('resize', () => {
    const el = field('api-metrics', 'chart');
    if (chart.plot) chart.plot.setSize({ width: Math.max(300, el.clientWidth), height: 260 });
  });
  async function loadHistory() {
    const { status, body } = await getJson('/api-metrics/series?minutes=10');
    if (status !== 200) throw new Error(`GET /api-metrics/series: ${status}`);
    const seconds = body.timestamps.map((t) => Math.floor(Date.parse(t) / 1000));
    advanceTo(seconds[seconds.length - 1]);
    const first = chart.xs[0];
    for (const m of body.metrics) {
      const ys = ensureSeries(m.route);
      if (!ys) continue;
      m.responseTime.forEach((v, i) => {
        const at = seconds[i] - first;
        if (v >= 0 && at >= 0 && at < ys.length) ys[at] = v;
      });
    }
    chart.dirty = true;
  }
  function onRecord(r) {
    const second = Math.floor(Date.parse(r.timestamp) / 1000);
    advanceTo(second);
    const ys = ensureSeries(`${r.method} - ${r.route}`);
    const at = second - chart.xs[0];
    if (ys && at >= 0) ys[at] = Math.max(ys[at] === null ? -Infinity : ys[at], r.time);
    chart.dirty = true;
    latest.unshift([r.timestamp.slice(11, 23), r.method, r.route, r.status, r.time]);
    latest.length = Math.min(latest.length, 8);
  }
  let dropped = 0;
  function follow() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const key = apiKey();
    if (!key && document.body.dataset.keys === 'on') {
      return askForKey('The live feed (/ws) needs an API key.');
    }
    const ws = new WebSocket(
      `${scheme}://${location.host}/ws?batch=false`,
      key ? ['beacon', `beacon-key.${base64url(key)}`] : [],
    );
    let opened = false;
    // On the page too (body[data-live]): a record sent before the feed opened is not shown.
    ws.onopen = () => {
      opened = true;
      document.body.dataset.live = 'open';
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === 'dropped') dropped = msg.total;
      else onRecord(msg);
    };
    ws.onclose = () => {
      document.body.dataset.live = 'closed';
      // Refused before it opened while keys are on: ask for one rather than retry for ever.
      if (!opened && document.body.dataset.keys === 'on')
        return askForKey('The live feed (/ws) needs an API key.');
      setTimeout(follow, 2000);
    };
  }
  function showRecords() {
    fill(
      field('api-metrics', 'records'),
      latest,
      `no records yet: send seed-002 datagrams to UDP ${udpPort === null ? '(METRICS_UDP_PORT)' : `:${udpPort}`}`,
    );
    field('api-metrics', 'caption').textContent =
      `response time (ms), slowest call per second, last 10 minutes, live over /ws` +
      (dropped > 0 ? ` · ${dropped} records dropped (this page was too slow)` : '');
    draw();
  }

  // ---- start ------------------------------------------------------------------------------
  (async () => {
    let details = {};
    try {
      details = await health();
    } catch (err) {
      document.getElementById('health').textContent = `unreachable: ${err.message}`;
    }
    every(5000, 'health', () => health().then(() => undefined));
    if (details.requestCounter && details.requestCounter.enabled === false) {
      off('counter', 'The request counter is off (COUNTER_ENABLED=false).');
    } else every(1000, 'counter', counter);
    every(2000, 'latency', latency);
    every(2000, 'rockets', rockets);
    if (details.streamAnalysis && details.streamAnalysis.enabled === false) {
      off('stream', 'Stream analysis is off (STREAM_ENABLED=false).');
    } else {
      every(3000, 'stream', streamStatus);
      every(10000, 'stream', streamPercentiles);
    }
    if (details.apiMetrics && details.apiMetrics.enabled === false) {
      off('api-metrics', 'API metrics are off (API_METRICS_ENABLED=false).');
    } else {
      await loadHistory().catch((err) =>
        panel('api-metrics').setAttribute('data-error', err.message),
      );
      follow();
      setInterval(showRecords, 500);
      showRecords();
    }
  })();
})();
