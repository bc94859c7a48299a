// The Octopus dashboard: plain ES modules, no build step. REST for history and state, /ws for live
// trades, book, bars, orders, positions and alerts (per-channel seq checked; a gap asks for a resync).
// Everything it shows is the wire format (docs/api.md): decimals arrive as strings and are shown as is.
import { CandlestickSeries, HistogramSeries, createChart } from '/vendor/lightweight-charts.mjs';

const kTradesShown = 50;
const kBookLevelsShown = 12;
const kPollMs = 2_000;
const params = new URLSearchParams(location.search);
const state = { token: sessionStorage.getItem('octopus.token') ?? '', symbol: params.get('symbol') ?? '', interval: params.get('interval') ?? '1m', socket: null, seq: new Map(), book: { bids: new Map(), asks: new Map() }, orders: new Map() };
const $ = (selector) => document.querySelector(selector);

async function api(method, path, body) {
  const headers = { 'content-type': 'application/json', ...(state.token === '' ? {} : { authorization: `Bearer ${state.token}` }) };
  const response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  const json = text === '' ? null : JSON.parse(text);
  if (!response.ok) throw new Error(json?.error ? `${json.error.code}: ${json.error.message}` : `HTTP ${response.status}`);
  return json;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

// ---- chart ----

const chart = createChart($('#chart'), { layout: { background: { color: '#171d25' }, textColor: '#d8dee9' }, grid: { vertLines: { color: '#222b36' }, horzLines: { color: '#222b36' } }, timeScale: { timeVisible: true, secondsVisible: true } });
const candles = chart.addSeries(CandlestickSeries, { upColor: '#a3be8c', downColor: '#bf616a', borderVisible: false, wickUpColor: '#a3be8c', wickDownColor: '#bf616a' });
const volume = chart.addSeries(HistogramSeries, { priceScaleId: '', priceFormat: { type: 'volume' }, color: '#4c566a' });
volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
const candleTimes = new Set();

function toCandle(bar) {
  return { time: Math.floor(bar.time_ms / 1000), open: Number(bar.open), high: Number(bar.high), low: Number(bar.low), close: Number(bar.close) };
}

function showBar(bar) {
  const candle = toCandle(bar);
  candles.update(candle);
  volume.update({ time: candle.time, value: Number(bar.volume), color: candle.close >= candle.open ? '#4f6b4a' : '#6b3f44' });
  candleTimes.add(candle.time);
  $('#chart').dataset.candles = String(candleTimes.size);
}

async function loadBars() {
  const page = await api('GET', `/api/v1/market/${state.symbol}/bars?interval=${state.interval}&limit=500`);
  // Pages come newest first; the chart wants time order.
  const bars = page.bars.slice().reverse();
  candles.setData(bars.map(toCandle));
  volume.setData(bars.map((bar) => ({ time: Math.floor(bar.time_ms / 1000), value: Number(bar.volume) })));
  candleTimes.clear();
  for (const bar of bars) candleTimes.add(Math.floor(bar.time_ms / 1000));
  $('#chart').dataset.candles = String(candleTimes.size);
}

// ---- book and trades ----

function applyLevels(side, levels) {
  for (const [price, qty] of levels) {
    if (Number(qty) === 0) side.delete(price);
    else side.set(price, qty);
  }
}

function renderBook() {
  const body = $('#book tbody');
  body.replaceChildren();
  const asks = [...state.book.asks].sort((left, right) => Number(left[0]) - Number(right[0])).slice(0, kBookLevelsShown).reverse();
  const bids = [...state.book.bids].sort((left, right) => Number(right[0]) - Number(left[0])).slice(0, kBookLevelsShown);
  for (const [price, qty] of asks) { const row = body.insertRow(); cell(row, ''); cell(row, price, 'ask'); cell(row, qty); }
  for (const [price, qty] of bids) { const row = body.insertRow(); cell(row, qty); cell(row, price, 'bid'); cell(row, ''); }
}

function showTrade(trade) {
  const row = $('#trades tbody').insertRow(0);
  cell(row, new Date(trade.time_ms).toLocaleTimeString());
  cell(row, trade.price, trade.side);
  cell(row, trade.qty);
  cell(row, trade.side, trade.side);
  while ($('#trades tbody').rows.length > kTradesShown) $('#trades tbody').deleteRow(-1);
}

async function loadTrades() {
  const page = await api('GET', `/api/v1/market/${state.symbol}/trades?limit=${kTradesShown}`);
  $('#trades tbody').replaceChildren();
  for (const trade of page.trades.slice().reverse()) showTrade(trade);
}

// ---- orders, positions, account ----

function renderOrders() {
  const body = $('#orders tbody');
  body.replaceChildren();
  for (const order of [...state.orders.values()].sort((left, right) => Number(right.id) - Number(left.id))) {
    const row = body.insertRow();
    row.dataset.orderId = order.id;
    row.dataset.clientOrderId = order.client_order_id;
    cell(row, order.id); cell(row, order.symbol); cell(row, order.side, order.side); cell(row, order.qty); cell(row, order.filled_qty); cell(row, order.limit_price ?? 'market'); cell(row, order.status);
    const button = document.createElement('button');
    button.textContent = 'Cancel';
    button.className = 'cancel';
    button.onclick = () => api('DELETE', `/api/v1/orders/${order.id}`).then(showOrder, (error) => ($('#ticket-result').textContent = error.message));
    cell(row, '').append(button);
  }
}

function showOrder(order) {
  if (order.status === 'new' || order.status === 'partially_filled') state.orders.set(order.id, order);
  else state.orders.delete(order.id);
  renderOrders();
}

function renderPositions(positions) {
  const body = $('#positions tbody');
  body.replaceChildren();
  for (const position of positions) {
    const row = body.insertRow();
    for (const value of [position.symbol, position.qty, position.avg_entry_price, position.current_price, position.market_value, position.unrealized_pl, position.realized_pl]) cell(row, value ?? '-');
  }
}

function renderAccount(account) {
  const list = $('#account');
  list.replaceChildren();
  for (const key of ['cash', 'equity', 'realized_pl', 'unrealized_pl', 'fees_paid', 'trading_blocked']) {
    const term = document.createElement('dt');
    term.textContent = key;
    const value = document.createElement('dd');
    value.textContent = String(account[key]);
    value.dataset.field = key;
    list.append(term, value);
  }
}

async function loadPrivate() {
  if (state.token === '') return;
  const [open, positions, account, alerts] = await Promise.all([api('GET', '/api/v1/orders?status=open&limit=500'), api('GET', '/api/v1/positions'), api('GET', '/api/v1/account'), api('GET', '/api/v1/alerts')]);
  state.orders = new Map(open.orders.map((order) => [order.id, order]));
  renderOrders();
  renderPositions(positions);
  renderAccount(account);
  for (const rule of alerts) showAlertLine(`rule ${rule.id}: ${rule.symbol} ${rule.condition.kind}`);
  await Promise.all([loadStrategies(), loadBacktests()]);
}

function showAlertLine(text) {
  const item = document.createElement('li');
  item.textContent = text;
  $('#alerts').prepend(item);
}

// ---- strategies and backtests ----

const percent = (value) => (typeof value === 'number' ? `${(value * 100).toFixed(2)}%` : '-');

function renderStrategies(strategies) {
  const body = $('#strategies tbody');
  body.replaceChildren();
  for (const strategy of strategies) {
    const row = body.insertRow();
    row.dataset.strategy = strategy.name;
    for (const value of [strategy.name, strategy.strategy, strategy.state, strategy.equity.toFixed(2), strategy.pnl.toFixed(2), strategy.fills, strategy.open_orders]) cell(row, String(value));
    const button = document.createElement('button');
    const op = strategy.state === 'running' ? 'stop' : 'start';
    button.textContent = op === 'stop' ? 'Stop' : 'Start';
    button.className = `strategy-${op}`;
    button.onclick = () => api('POST', `/api/v1/strategies/${encodeURIComponent(strategy.name)}/${op}`, {}).then(loadStrategies, (error) => ($('#strategy-result').textContent = error.message));
    cell(row, '').append(button);
  }
}

async function loadStrategies() {
  if (state.token === '') return;
  renderStrategies(await api('GET', '/api/v1/strategies'));
}

function renderBacktests(jobs) {
  const body = $('#backtests tbody');
  body.replaceChildren();
  for (const job of jobs) {
    const row = body.insertRow();
    row.dataset.job = job.id;
    row.dataset.status = job.status;
    const status = job.status === 'running' ? `running ${Math.round(job.progress * 100)}%` : job.status === 'failed' ? `failed: ${job.error?.code ?? ''}` : job.status;
    cell(row, new Date(job.created_ms).toISOString().slice(11, 19));
    cell(row, job.strategy ?? job.kind);
    cell(row, status);
    cell(row, percent(job.summary?.total_return));
    cell(row, job.summary?.sharpe?.toFixed(2) ?? '-');
    cell(row, percent(job.summary?.max_drawdown));
    cell(row, String(job.summary?.trades ?? '-'));
    const actions = cell(row, '');
    if (job.has_report) {
      const button = document.createElement('button');
      button.textContent = 'Report';
      button.className = 'report';
      button.onclick = () => showReport(job.id).catch((error) => ($('#backtest-result').textContent = error.message));
      actions.append(button);
    }
  }
}

async function loadBacktests() {
  if (state.token === '') return;
  renderBacktests(await api('GET', '/api/v1/backtests?limit=20'));
}

/** The report is fetched with the token (a plain link would carry none) and shown in a sandboxed frame. */
async function showReport(id) {
  const response = await fetch(`/api/v1/backtests/${encodeURIComponent(id)}/report`, { headers: { authorization: `Bearer ${state.token}` } });
  if (!response.ok) throw new Error(`report: HTTP ${response.status}`);
  $('#report').srcdoc = await response.text();
  $('#report-panel').hidden = false;
  $('#report-panel').dataset.job = id;
}

async function runBacktest(event) {
  event.preventDefault();
  const form = Object.fromEntries(new FormData(event.target));
  const toMs = Date.now();
  const request = { kind: 'backtest', strategy: form.strategy, warehouse: { symbols: [state.symbol], interval: '1m', from_ms: toMs - Number(form.hours) * 3_600_000, to_ms: toMs } };
  try {
    const job = await api('POST', '/api/v1/backtests', request);
    $('#backtest-result').textContent = `job ${job.id} ${job.status}`;
    await loadBacktests();
  } catch (error) {
    $('#backtest-result').textContent = error.message;
  }
}

// ---- health ----

async function pollHealth() {
  const health = await api('GET', '/health');
  const body = $('#health tbody');
  body.replaceChildren();
  for (const [name, actor] of Object.entries(health.actors ?? {})) {
    const row = body.insertRow();
    for (const value of [name, actor.state, actor.restarts, actor.inbox_depth, actor.handler_errors]) cell(row, String(value));
  }
}

// ---- the feed ----

function channels() {
  return [`trades:${state.symbol}`, `book:${state.symbol}`, `bars:${state.interval}:${state.symbol}`, ...(state.token === '' ? [] : ['orders', 'positions', 'alerts', 'strategies', 'jobs'])];
}

function onFrame(frame) {
  if (frame.type === 'heartbeat' || frame.type === 'ack') return;
  if (frame.type === 'error') { $('#feed-state').textContent = frame.error.code; return; }
  const last = state.seq.get(frame.channel);
  if (frame.type === 'snapshot') {
    state.seq.set(frame.channel, frame.seq);
    if (frame.channel.startsWith('book:')) {
      state.book = { bids: new Map(frame.data.bids), asks: new Map(frame.data.asks) };
      renderBook();
    }
    return;
  }
  if (last !== undefined && frame.seq !== last + 1) {
    // A gap: drop frames until the fresh snapshot arrives.
    state.seq.delete(frame.channel);
    state.socket.send(JSON.stringify({ op: 'resync', channels: [frame.channel] }));
    return;
  }
  if (last === undefined && frame.channel.startsWith('book:')) return;
  state.seq.set(frame.channel, frame.seq);
  if (frame.channel === 'strategies') strategyChanged();
  else if (frame.type === 'trade') showTrade(frame.data);
  else if (frame.type === 'delta' || frame.type === 'update') { applyLevels(state.book.bids, frame.data.bids); applyLevels(state.book.asks, frame.data.asks); renderBook(); }
  else if (frame.type === 'bar') showBar(frame.data);
  else if (frame.type === 'order') showOrder(frame.data);
  else if (frame.type === 'position') renderPositions(frame.data);
  else if (frame.type === 'job') loadBacktests().catch(() => undefined);
  else if (frame.type === 'alert') showAlertLine(`${frame.data.time} ${frame.data.symbol}: ${frame.data.message}`);
}

let strategyRefresh = null;
function strategyChanged() {
  strategyRefresh ??= setTimeout(() => {
    strategyRefresh = null;
    loadStrategies().catch(() => undefined);
  }, 1_000);
}

function connect(attempt = 0) {
  state.socket?.close();
  state.seq.clear();
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${state.token === '' ? '' : `?token=${encodeURIComponent(state.token)}`}`);
  state.socket = socket;
  socket.onopen = () => {
    $('#feed-state').textContent = 'live';
    socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: channels(), depth: 50 }));
  };
  socket.onmessage = (event) => onFrame(JSON.parse(event.data));
  socket.onclose = () => {
    if (state.socket !== socket) return;
    $('#feed-state').textContent = 'reconnecting';
    setTimeout(() => connect(attempt + 1), Math.min(30_000, 500 * 2 ** attempt));
  };
}

// ---- start ----

async function selectSymbol(symbol) {
  state.symbol = symbol;
  await Promise.all([loadBars(), loadTrades()]);
  connect();
}

async function start() {
  const symbols = await api('GET', '/api/v1/symbols');
  for (const instrument of symbols) $('#symbol').add(new Option(instrument.symbol, instrument.symbol));
  if (state.symbol === '') state.symbol = symbols[0]?.symbol ?? '';
  $('#symbol').value = state.symbol;
  $('#interval').value = state.interval;
  $('#symbol').onchange = (event) => selectSymbol(event.target.value);
  $('#interval').onchange = (event) => { state.interval = event.target.value; selectSymbol(state.symbol); };
  $('#login').onsubmit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const token = await api('POST', '/api/v1/auth/token', { username: form.get('username'), password: form.get('password') });
      state.token = token.access_token;
      sessionStorage.setItem('octopus.token', state.token);
      $('#who').textContent = (await api('GET', '/api/v1/me')).username;
      await loadPrivate();
      connect();
    } catch (error) {
      $('#who').textContent = error.message;
    }
  };
  $('#ticket').onsubmit = async (event) => {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.target));
    const order = { symbol: state.symbol, side: form.side, type: form.type, qty: form.qty, time_in_force: form.time_in_force, ...(form.type === 'limit' ? { limit_price: form.limit_price } : {}) };
    try {
      const placed = await api('POST', '/api/v1/orders', order);
      $('#ticket-result').textContent = `${placed.id} ${placed.status}`;
      showOrder(placed);
    } catch (error) {
      $('#ticket-result').textContent = error.message;
    }
  };
  $('#backtest').onsubmit = runBacktest;
  $('#report-close').onclick = () => { $('#report-panel').hidden = true; };
  await selectSymbol(state.symbol);
  await loadPrivate();
  await pollHealth();
  setInterval(() => {
    pollHealth().catch(() => undefined);
    if (state.token !== '') {
      api('GET', '/api/v1/account').then(renderAccount, () => undefined);
      loadStrategies().catch(() => undefined);
    }
  }, kPollMs);
  document.body.dataset.ready = 'true';
}

start().catch((error) => {
  $('#feed-state').textContent = `failed: ${error.message}`;
});
