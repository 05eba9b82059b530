// The page of the newest images (GET /images): renders the data the page came with, then keeps it
// up to date from the live stream (GET /api/events) without reloading. Filters by device and
// verdict ask the API (GET /api/images) and are kept in the address, so a filtered view can be
// shared. Everything shown comes from the API's summaries: one shape for the page, the API and
// the live events.

import { element, percent, when } from './page-kit.js';

const VERDICTS = ['pass', 'defect', 'uncertain'];

const initial = JSON.parse(document.getElementById('page-data').textContent);

const state = {
  images: initial.images,
  devices: new Map(initial.devices.map((device) => [device.deviceKey, device])),
  filter: { device: initial.filter.device, verdict: initial.filter.verdict },
  count: initial.count,
};

function matchesFilter(image) {
  const { device, verdict } = state.filter;
  if (device !== null) {
    if (/^\d+$/.test(device) ? image.deviceId !== Number(device) : image.deviceKey !== device) return false;
  }
  return verdict === null || image.verdict === verdict;
}

function badge(image) {
  if (image.status === 'pending') return element('span', { className: 'badge pending' }, 'not analysed yet');
  if (image.status !== 'analysed' || !image.verdict)
    return element('span', { className: 'badge pending' }, image.status);
  return element('span', { className: `badge ${image.verdict}` }, image.verdict);
}

function card(image) {
  const photo = `/images/${image.imageId}.jpg`;
  return element(
    'figure',
    { 'data-image-id': image.imageId, 'data-verdict': image.verdict ?? image.status },
    element('a', { href: photo }, element('img', { src: photo, alt: image.imageId, loading: 'lazy' })),
    element(
      'figcaption',
      {},
      element(
        'div',
        { className: 'verdict' },
        badge(image),
        image.label ? ` ${image.label}` : '',
        typeof image.confidence === 'number' ? ` ${Math.round(image.confidence * 100)} %` : '',
      ),
      element('div', {}, `device ${image.deviceId} · ${image.address} · ${image.flowMode}`),
      element('div', {}, when(image.storedAt)),
      element('div', {}, `${(image.size / 1024).toFixed(0)} KB in ${image.packets} packets`),
    ),
  );
}

function deviceCard(device) {
  const selected = state.filter.device === device.deviceKey;
  const rate = device.defectRateLastHour;
  const alarming = rate.rate !== null && rate.rate > 0;
  return element(
    'button',
    {
      type: 'button',
      className: `device${selected ? ' selected' : ''}${alarming ? ' alarming' : ''}`,
      'data-device-key': device.deviceKey,
      'data-defect-rate-hour': rate.rate ?? '',
      title: `first seen ${when(device.firstSeenAt)}; ${device.verdicts.pass} pass, ${device.verdicts.defect} defect, ${device.verdicts.uncertain} uncertain, ${device.withoutVerdict} without verdict`,
      onclick: () => void applyFilter({ ...state.filter, device: selected ? null : device.deviceKey }),
    },
    element('strong', {}, `device ${device.deviceId}`),
    ` ${device.address}`,
    element('span', { className: 'figures' }, `${device.images} images`),
    element(
      'span',
      { className: 'rate' },
      `defects ${percent(rate.rate)} last hour (${rate.defects}/${rate.analysed}), `,
      `${percent(device.defectRateLast100.rate)} last 100`,
    ),
    element('span', { className: 'figures' }, `last seen ${when(device.lastSeenAt)}`),
  );
}

function select(name, label) {
  return element(
    'label',
    {},
    `${label} `,
    element('select', {
      name,
      onchange: (event) => void applyFilter({ ...state.filter, [name]: event.target.value || null }),
    }),
  );
}

/** Sets a select's options, keeping it as it is when they did not change (it may be open). */
function setOptions(selectElement, options, value) {
  const wanted = [['', 'all'], ...options];
  const current = [...selectElement.options].map((option) => [option.value, option.textContent]);
  if (JSON.stringify(current) !== JSON.stringify(wanted)) {
    selectElement.replaceChildren(
      ...wanted.map(([optionValue, text]) => element('option', { value: optionValue }, text)),
    );
  }
  selectElement.value = value ?? '';
}

/** The parts of the page that stay; their content is set by `render`. */
const parts = {
  status: element('span', { id: 'live-status', className: 'live connecting' }, 'connecting'),
  device: select('device', 'Device'),
  verdict: select('verdict', 'Verdict'),
  shownCount: element('span', { id: 'shown-count' }),
  devices: element('section', { className: 'devices', id: 'devices' }),
  grid: element('div', { className: 'grid', id: 'grid' }),
  empty: element('p', { id: 'empty' }, 'No image stored yet that matches.'),
};

/** Cards already made, by image id, with the summary each shows: unchanged ones are reused. */
const cards = new Map();

function cardFor(image) {
  const shown = JSON.stringify(image);
  const existing = cards.get(image.imageId);
  if (existing && existing.shown === shown) return existing.node;
  const node = card(image);
  cards.set(image.imageId, { shown, node });
  return node;
}

function render() {
  const devices = [...state.devices.values()].sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
  const shown = state.images.filter(matchesFilter).slice(0, state.count);
  setOptions(
    parts.device.querySelector('select'),
    devices.map((device) => [device.deviceKey, `${device.deviceId} · ${device.address}`]),
    state.filter.device,
  );
  setOptions(
    parts.verdict.querySelector('select'),
    VERDICTS.map((verdict) => [verdict, verdict]),
    state.filter.verdict,
  );
  parts.shownCount.textContent = `${shown.length} image(s), newest first`;
  parts.devices.replaceChildren(...devices.map(deviceCard));
  const nodes = shown.map(cardFor);
  for (const id of cards.keys()) if (!shown.some((image) => image.imageId === id)) cards.delete(id);
  parts.grid.replaceChildren(...nodes);
  parts.grid.hidden = shown.length === 0;
  parts.empty.hidden = shown.length > 0;
}

let renderPending = false;

/** Renders once per frame however many events came. */
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

function build() {
  document
    .getElementById('page')
    .replaceChildren(
      element('header', {}, element('h1', {}, 'Newest images'), parts.status),
      element(
        'form',
        { className: 'filters', onsubmit: (event) => event.preventDefault() },
        parts.device,
        parts.verdict,
        parts.shownCount,
      ),
      parts.devices,
      parts.grid,
      parts.empty,
    );
  render();
}

async function applyFilter(filter) {
  state.filter = filter;
  const query = new URLSearchParams();
  if (state.count !== initial.count) query.set('count', String(state.count));
  if (filter.device !== null) query.set('device', filter.device);
  if (filter.verdict !== null) query.set('verdict', filter.verdict);
  history.replaceState(null, '', `${location.pathname}${query.size > 0 ? `?${query}` : ''}`);
  await reload();
}

async function reload() {
  const query = new URLSearchParams({ limit: String(state.count) });
  if (state.filter.device !== null) query.set('device', state.filter.device);
  if (state.filter.verdict !== null) query.set('verdict', state.filter.verdict);
  const [images, devices] = await Promise.all([
    fetch(`/api/images?${query}`).then((response) => response.json()),
    fetch('/api/devices').then((response) => response.json()),
  ]);
  state.images = images.items;
  state.devices = new Map(devices.devices.map((device) => [device.deviceKey, device]));
  render();
}

/** Puts an image where it belongs (newest first), replacing what was shown of it. */
function place(image) {
  const kept = state.images.filter((each) => each.imageId !== image.imageId);
  if (matchesFilter(image)) {
    const at = kept.findIndex((each) => each.storedAt < image.storedAt);
    kept.splice(at === -1 ? kept.length : at, 0, image);
  }
  state.images = kept.slice(0, state.count);
}

function listen() {
  // From the event the page's data is up to date with: nothing is missed in between.
  const events = new EventSource(`/api/events?lastEventId=${encodeURIComponent(initial.liveFrom)}`);
  const on = (type, handle) =>
    events.addEventListener(type, (event) => {
      handle(JSON.parse(event.data));
      scheduleRender();
    });
  on('image.stored', place);
  on('image.analysed', place);
  on('device.seen', (device) => state.devices.set(device.deviceKey, device));
  events.addEventListener('reset', () => void reload());
  events.addEventListener('open', () => setLive('live'));
  events.addEventListener('error', () => setLive('reconnecting'));
}

function setLive(live) {
  parts.status.textContent = live;
  parts.status.className = `live ${live}`;
}

build();
listen();
