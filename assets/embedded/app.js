// The embedded page of @wundr/otel: reads /health, /alerts, /dashboard and
// /traces of the endpoint that served it, and draws them. No framework, no
// network beyond this origin; charts are plain SVG.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const WINDOW_MS = 5 * 60 * 1000;
  const REFRESH_MS = 5000;
  const jaegerUi = (document.querySelector('meta[name="wundr-jaeger-ui"]') || {}).content || '';

  let token = sessionStorage.getItem('wundr-otel-token') || '';
  let filter = 'all';
  let selected = '';

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  async function get(path) {
    const headers = token ? { Authorization: 'Bearer ' + token } : {};
    const res = await fetch(path, { headers, cache: 'no-store' });
    if (res.status === 401) {
      $('token-box').hidden = false;
      throw new Error('unauthorized');
    }
    if (res.status === 403) {
      // The endpoint says why (trace data answers loopback callers only without a token).
      const body = await res.json().catch(() => ({}));
      throw new Error(body.error || path + ': 403');
    }
    if (!res.ok && res.status !== 503) throw new Error(path + ': ' + res.status);
    return res.json();
  }

  // ---- formatting --------------------------------------------------------
  function fmtMs(ms) {
    if (ms < 1) return (ms * 1000).toFixed(0) + ' µs';
    if (ms < 1000) return (ms < 10 ? ms.toFixed(1) : ms.toFixed(0)) + ' ms';
    return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  }
  function fmtNum(v, unit) {
    if (unit === 'ms') return fmtMs(v);
    if (unit === 'bytes') {
      if (v >= 1024 ** 3) return (v / 1024 ** 3).toFixed(1) + ' GiB';
      return (v / 1024 ** 2).toFixed(v >= 100 * 1024 ** 2 ? 0 : 1) + ' MiB';
    }
    const a = Math.abs(v);
    const s = a >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : a >= 1e4 ? (v / 1e3).toFixed(0) + 'k' : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
    return s + (unit ? ' ' + unit : '');
  }
  function fmtUptime(s) {
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }

  // ---- health and alerts -------------------------------------------------
  function renderHealth(h) {
    const status = $('status');
    status.dataset.status = h.status;
    $('status-text').textContent = h.status;
    $('meta').textContent = 'version ' + h.version + ' · up ' + fmtUptime(h.uptime) + (h.metrics ? ' · ' + h.metrics.activeSessions + ' sessions · ' + h.metrics.queuedTasks + ' queued' : '');
    const box = $('components');
    box.replaceChildren();
    const comps = Object.values(h.components || {}).sort((a, b) => a.name.localeCompare(b.name));
    for (const c of comps) {
      const card = el('div', 'comp');
      const name = el('div', 'name');
      name.append(el('span', 'dot ' + c.status), el('span', '', c.name));
      card.append(name);
      const msg = c.message || (c.latency !== undefined ? c.latency + ' ms' : c.status);
      card.append(el('div', 'msg', msg));
      card.title = c.name + ': ' + c.status + (c.message ? ' — ' + c.message : '');
      box.append(card);
    }
  }

  function renderAlerts(a) {
    const list = $('alerts');
    list.replaceChildren();
    const firing = (a.activeAlerts || []).filter((x) => x.state === 'firing');
    const pending = (a.activeAlerts || []).filter((x) => x.state === 'pending');
    $('alerts-count').textContent = a.enabled === false ? 'alerting is off' : firing.length + ' firing · ' + pending.length + ' pending · ' + (a.thresholds || []).length + ' rules';
    for (const x of firing.concat(pending)) {
      const li = el('li', x.severity);
      li.append(el('strong', '', x.rule), el('span', 'sev', x.state + ' · ' + x.severity));
      const summary = (x.annotations && (x.annotations.summary || x.annotations.description)) || '';
      li.append(el('div', 'muted small', summary + ' (value ' + fmtNum(x.value) + ', threshold ' + x.threshold + ')'));
      list.append(li);
    }
    if (firing.length + pending.length === 0) list.append(el('li', 'none', 'No alert firing.'));
  }

  // ---- charts --------------------------------------------------------------
  // kind: rate (counter per second), gauge (sum of series), avg (histogram _sum/_count per interval).
  const CHARTS = [
    { title: 'Requests and errors', unit: '/s', lines: [
      { label: 'WS messages', kind: 'rate', metric: 'wundr_ws_messages_received_total' },
      { label: 'LLM requests', kind: 'rate', metric: 'wundr_model_requests_total', cls: 'c4' },
      { label: 'errors', kind: 'rate', metric: ['wundr_model_errors_total', 'wundr_tool_errors_total', 'wundr_ws_errors_total'], cls: 'c1' } ] },
    { title: 'LLM latency (mean)', unit: 'ms', lines: [
      { label: 'request', kind: 'avg', metric: 'wundr_model_request_duration_seconds', scale: 1000 } ] },
    { title: 'LLM tokens', unit: '/s', lines: [
      { label: 'tokens', kind: 'rate', metric: 'wundr_model_request_tokens_total', cls: 'c2' } ] },
    { title: 'Tool calls', unit: '/s', lines: [
      { label: 'calls', kind: 'rate', metric: 'wundr_tool_execution_total', cls: 'c3' },
      { label: 'errors', kind: 'rate', metric: 'wundr_tool_errors_total', cls: 'c1' } ] },
    { title: 'Queue depth', unit: '', lines: [
      { label: 'queued', kind: 'gauge', metric: 'wundr_queue_depth' } ] },
    { title: 'Memory', unit: 'bytes', lines: [
      { label: 'rss', kind: 'gauge', metric: 'wundr_process_memory_rss_bytes', cls: 'c2' },
      { label: 'heap', kind: 'gauge', metric: 'wundr_process_memory_heap_bytes' } ] },
    { title: 'Event-loop lag (mean)', unit: 'ms', lines: [
      { label: 'lag', kind: 'avg', metric: 'wundr_process_event_loop_lag_seconds', scale: 1000, cls: 'c3' } ] },
  ];

  function metricNames() {
    const names = new Set();
    for (const c of CHARTS) for (const l of c.lines) {
      const ms = Array.isArray(l.metric) ? l.metric : [l.metric];
      for (const m of ms) {
        if (l.kind === 'avg') { names.add(m + '_sum'); names.add(m + '_count'); } else names.add(m);
      }
    }
    return [...names];
  }

  /** metric name -> array of label series, each an array of [t, v] (raw points). */
  function bySeries(dash) {
    const out = new Map();
    for (const s of dash.metrics || []) {
      if (s.resolution !== 'raw') continue;
      if (!out.has(s.metric)) out.set(s.metric, []);
      out.get(s.metric).push(s.points.map((p) => [p.timestamp, p.value]));
    }
    return out;
  }

  function addAt(map, t, v) { map.set(t, (map.get(t) || 0) + v); }

  function lineData(series, line) {
    const names = Array.isArray(line.metric) ? line.metric : [line.metric];
    const acc = new Map();
    if (line.kind === 'gauge') {
      for (const n of names) for (const pts of series.get(n) || []) for (const [t, v] of pts) addAt(acc, t, v);
    } else if (line.kind === 'rate') {
      for (const n of names) for (const pts of series.get(n) || []) {
        for (let i = 1; i < pts.length; i++) {
          const dt = (pts[i][0] - pts[i - 1][0]) / 1000;
          if (dt > 0) addAt(acc, pts[i][0], Math.max(0, pts[i][1] - pts[i - 1][1]) / dt);
        }
      }
    } else {
      const ds = new Map(), dc = new Map();
      for (const n of names) {
        for (const [key, m] of [[n + '_sum', ds], [n + '_count', dc]]) for (const pts of series.get(key) || []) {
          for (let i = 1; i < pts.length; i++) addAt(m, pts[i][0], Math.max(0, pts[i][1] - pts[i - 1][1]));
        }
      }
      for (const [t, c] of dc) if (c > 0) acc.set(t, ((ds.get(t) || 0) / c) * (line.scale || 1));
    }
    return [...acc.entries()].sort((a, b) => a[0] - b[0]);
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function drawChart(def, series, now) {
    const box = el('div', 'chart');
    const title = el('div', 'title');
    const legend = el('div', 'legend');
    title.append(el('span', '', def.title), legend);
    box.append(title);
    const lines = def.lines.map((l, i) => ({ l, cls: l.cls || 'c' + i, data: lineData(series, l) }));
    const all = lines.flatMap((x) => x.data);
    if (all.length === 0) {
      box.append(el('div', 'empty', 'no data yet'));
      return box;
    }
    const W = 300, H = 110, L = 54, R = 4, T = 6, B = 16;
    // A young process gets its own history across the width (at least a minute), not a sliver at the right.
    const first = Math.min(...all.map((p) => p[0]));
    const t1 = now, t0 = Math.max(now - WINDOW_MS, Math.min(first, now - 60000));
    // Bytes get round MiB steps, not round byte counts.
    const peak = Math.max(...all.map((p) => p[1]));
    const max = def.unit === 'bytes' ? niceMax(peak / 1048576) * 1048576 : niceMax(peak);
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const y = (v) => T + (1 - v / max) * (H - T - B);
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': def.title });
    for (const f of [0, 0.5, 1]) {
      s.append(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(max * f), y2: y(max * f) }));
      const lab = svg('text', { class: 'axis', x: L - 4, y: y(max * f) + 3, 'text-anchor': 'end' });
      lab.textContent = fmtNum(max * f, def.unit === '/s' ? '' : def.unit);
      s.append(lab);
    }
    const span = Math.round((t1 - t0) / 1000);
    for (const [label, t] of [[span >= 120 ? '-' + Math.round(span / 60) + ' min' : '-' + span + ' s', t0], ['now', t1]]) {
      const lab = svg('text', { class: 'axis', x: x(t), y: H - 3, 'text-anchor': t === t0 ? 'start' : 'end' });
      lab.textContent = label;
      s.append(lab);
    }
    for (const { l, cls, data } of lines) {
      const pts = data.filter((p) => p[0] >= t0);
      const item = el('span');
      const sw = el('i', cls);
      const last = pts.length ? pts[pts.length - 1][1] : 0;
      item.append(sw, document.createTextNode(l.label + ' ' + fmtNum(last, def.unit)));
      legend.append(item);
      if (pts.length === 0) continue;
      const d = pts.map((p, i) => (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join('');
      s.append(svg('path', { class: 'area ' + cls, d: d + `L${x(pts[pts.length - 1][0]).toFixed(1)},${y(0)}L${x(pts[0][0]).toFixed(1)},${y(0)}Z` }));
      s.append(svg('path', { class: 'line ' + cls, d, 'vector-effect': 'non-scaling-stroke' }));
    }
    box.append(s);
    return box;
  }

  function renderCharts(dash) {
    const series = bySeries(dash);
    const now = Date.parse(dash.exportedAt) || Date.now();
    $('charts').replaceChildren(...CHARTS.map((c) => drawChart(c, series, now)));
  }

  // ---- traces --------------------------------------------------------------
  function serviceClass(services, name) {
    const i = services.indexOf(name);
    return 's' + (i < 0 ? 0 : i % 3);
  }

  function tracesRefused(err) {
    if (err.message === 'unauthorized') return;
    const td = el('td', 'muted', err.message);
    td.colSpan = 4;
    const tr = el('tr');
    tr.append(td);
    $('traces').replaceChildren(tr);
  }

  function renderTraces(list) {
    const body = $('traces');
    body.replaceChildren();
    for (const t of list.traces) {
      const tr = el('tr', t.error ? 'error' : '');
      tr.dataset.traceId = t.traceId;
      if (t.traceId === selected) tr.classList.add('selected');
      const root = el('td', 'root', t.rootName || t.traceId);
      root.title = t.rootName + '\n' + t.traceId;
      const svcs = el('td');
      t.services.forEach((s, i) => svcs.append(el('span', 'svc s' + (i % 3), s)));
      tr.append(root, svcs, el('td', 'num', String(t.spanCount)), el('td', 'num', fmtMs(t.durationMs)));
      tr.addEventListener('click', () => openTrace(t.traceId));
      body.append(tr);
    }
    if (list.traces.length === 0) {
      const tr = el('tr');
      const td = el('td', 'muted', 'No finished trace yet' + (filter === 'all' ? '.' : ' for this filter.'));
      td.colSpan = 4;
      tr.append(td);
      body.append(tr);
    }
  }

  function order(spans) {
    const ids = new Set(spans.map((s) => s.spanId));
    const kids = new Map();
    const roots = [];
    for (const s of spans) {
      if (s.parentSpanId && ids.has(s.parentSpanId)) {
        if (!kids.has(s.parentSpanId)) kids.set(s.parentSpanId, []);
        kids.get(s.parentSpanId).push(s);
      } else roots.push(s);
    }
    const out = [];
    const walk = (s, depth) => {
      out.push({ s, depth });
      for (const c of (kids.get(s.spanId) || []).sort((a, b) => a.startTime - b.startTime)) walk(c, depth + 1);
    };
    for (const r of roots.sort((a, b) => a.startTime - b.startTime)) walk(r, 0);
    return out;
  }

  function showSpan(s, t0) {
    const box = $('span-detail');
    box.hidden = false;
    box.replaceChildren();
    box.append(el('strong', '', s.name), el('span', 'muted', '  ' + s.service + ' · ' + s.kind + ' · ' + s.status + ' · +' + fmtMs(s.startTime - t0) + ' · ' + fmtMs(s.durationMs)));
    const dl = el('dl');
    const add = (k, v) => dl.append(el('dt', '', k), el('dd', '', typeof v === 'string' ? v : JSON.stringify(v)));
    add('spanId', s.spanId);
    for (const [k, v] of Object.entries(s.attributes || {})) add(k, v);
    for (const ev of s.events || []) add('event +' + fmtMs(ev.time - t0), ev.name + ' ' + JSON.stringify(ev.attributes));
    box.append(dl);
  }

  async function openTrace(id) {
    selected = id;
    for (const tr of $('traces').children) tr.classList.toggle('selected', tr.dataset.traceId === id);
    let view;
    try {
      view = await get('traces/' + id);
    } catch (err) {
      return;
    }
    $('trace-card').hidden = false;
    $('trace-card').parentElement.classList.remove('single');
    const ordered = order(view.spans);
    const t0 = Math.min(...view.spans.map((s) => s.startTime));
    const t1 = Math.max(...view.spans.map((s) => s.startTime + s.durationMs));
    const total = Math.max(t1 - t0, 0.001);
    const services = [...new Set(view.spans.map((s) => s.service))];
    const root = ordered.length ? ordered[0].s : undefined;
    $('trace-title').textContent = root ? root.name : id;
    $('trace-meta').textContent = id + ' · ' + view.spans.length + ' spans · ' + fmtMs(total) + ' · ' + services.join(', ');
    const link = $('jaeger-link');
    link.hidden = !jaegerUi;
    if (jaegerUi) link.href = jaegerUi + '/trace/' + id;

    const wf = $('waterfall');
    wf.replaceChildren();
    const scale = el('div', 'wf-scale');
    const ticks = el('div');
    ticks.append(el('span', '', '0'), el('span', '', fmtMs(total / 2)), el('span', '', fmtMs(total)));
    scale.append(el('div', '', 'service · span'), ticks);
    wf.append(scale);
    for (const { s, depth } of ordered) {
      const row = el('div', 'wf-row' + (s.status === 'error' ? ' error' : ''));
      row.dataset.spanId = s.spanId;
      const name = el('div', 'wf-name');
      name.style.paddingLeft = depth * 12 + 'px';
      name.append(el('span', 'svc ' + serviceClass(services, s.service), s.service), el('span', 'wf-label', s.name));
      name.title = s.name + ' (' + s.service + ')';
      const track = el('div', 'wf-track');
      const bar = el('div', 'wf-bar ' + serviceClass(services, s.service));
      const left = ((s.startTime - t0) / total) * 100;
      const width = Math.max((s.durationMs / total) * 100, 0.3);
      bar.style.left = left + '%';
      bar.style.width = width + '%';
      const dur = el('span', 'wf-dur', fmtMs(s.durationMs));
      // The label goes inside a wide bar, else beside it on the side with room.
      if (width > 22) {
        dur.classList.add('inside');
        dur.style.right = 100 - left - width + 1 + '%';
      } else if (left + width > 75) dur.style.right = 100 - left + 1 + '%';
      else dur.style.left = left + width + 1 + '%';
      track.append(bar, dur);
      row.append(name, track);
      row.addEventListener('click', () => {
        for (const r of wf.querySelectorAll('.wf-row.selected')) r.classList.remove('selected');
        row.classList.add('selected');
        showSpan(s, t0);
      });
      wf.append(row);
    }
    $('span-detail').hidden = true;

    const names = new Map(view.spans.map((s) => [s.spanId, s.name]));
    const logs = $('logs');
    logs.replaceChildren();
    for (const l of view.logs.slice().sort((a, b) => a.time - b.time)) {
      const sev = String(l.severity || '').toLowerCase();
      const tr = el('tr', sev.startsWith('warn') ? 'warn' : sev.startsWith('err') || sev.startsWith('fatal') ? 'error' : '');
      tr.append(el('td', 't', '+' + fmtMs(l.time - t0)), el('td', 'lv', String(l.severity).toUpperCase()), el('td', 'msg', l.body), el('td', 'muted small where', (l.attributes && l.attributes.component ? l.attributes.component + ' · ' : '') + (names.get(l.spanId) || l.spanId)));
      logs.append(tr);
    }
    if (view.logs.length === 0) {
      const tr = el('tr');
      tr.append(el('td', 'muted', 'No log line was written inside this trace.'));
      logs.append(tr);
    }
  }

  // ---- refresh loop ----------------------------------------------------------
  function tracesQuery() {
    if (filter === 'error') return 'traces?limit=25&error=true';
    if (filter === 'slow') return 'traces?limit=25&minDurationMs=500';
    return 'traces?limit=25';
  }

  async function refresh() {
    const since = Date.now() - WINDOW_MS - 10000;
    const jobs = [
      get('health').then(renderHealth),
      get('alerts').then(renderAlerts),
      get('dashboard?since=' + since + '&raw=true&minute=false&hour=false&metric=' + metricNames().join(',')).then(renderCharts),
      get(tracesQuery()).then(renderTraces, (err) => {
        tracesRefused(err);
        throw err;
      }),
    ];
    const results = await Promise.allSettled(jobs);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length === jobs.length) {
      $('status').dataset.status = 'error';
      $('status-text').textContent = 'endpoint unreachable';
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      token = $('token').value.trim();
      sessionStorage.setItem('wundr-otel-token', token);
      $('token-box').hidden = true;
      refresh();
    });
    for (const b of document.querySelectorAll('.filters button')) {
      b.addEventListener('click', () => {
        filter = b.dataset.filter;
        for (const o of document.querySelectorAll('.filters button')) o.classList.toggle('on', o === b);
        get(tracesQuery()).then(renderTraces, tracesRefused);
      });
    }
    $('trace-close').addEventListener('click', () => {
      selected = '';
      $('trace-card').hidden = true;
      $('trace-card').parentElement.classList.add('single');
      for (const tr of $('traces').children) tr.classList.remove('selected');
    });
    $('trace-card').parentElement.classList.add('single');
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
