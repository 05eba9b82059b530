// The review page (GET /review): one stored image at a time, as GET /api/review/next gives them
// (uncertain first, then defects, then a sample of passes), with the model's label and scores.
// From the keyboard: a digit picks a label, Enter accepts the model's, S skips, U undoes the last
// label or skip. Labels go to PUT /api/images/<id>/review (into the sidecar, never the JPEG).

import { element, percent, when } from './page-kit.js';

const state = {
  /** What GET /api/review/next answered for the image shown. */
  current: null,
  labels: [],
  /** The cursor the image shown came after (undefined: the top of the queue). */
  after: undefined,
  /** Labels and skips, newest last, each with what was shown, for U. */
  done: [],
  busy: false,
  message: '',
};

const parts = {
  photo: element('img', { id: 'photo', alt: '' }),
  model: element('div', { id: 'model' }),
  scores: element('ol', { id: 'scores' }),
  labels: element('div', { id: 'labels' }),
  remaining: element('span', { id: 'remaining' }),
  message: element('p', { id: 'message', role: 'status' }),
  empty: element('p', { id: 'empty', hidden: true }),
  newLabel: element('input', {
    id: 'new-label',
    name: 'new-label',
    placeholder: 'new label',
    maxlength: 64,
    autocomplete: 'off',
  }),
};

async function call(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.message ?? `${response.status} ${response.statusText}`);
  return answer;
}

function imageUrl(image) {
  return `/api/images/${image.imageId}/review`;
}

async function load(after) {
  const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
  show(await call('GET', `/api/review/next${query}`), after);
}

function show(next, after) {
  state.current = next;
  state.after = after;
  state.labels = next.labels;
  render();
}

function render() {
  const next = state.current;
  const image = next?.image;
  const { uncertain, defect, pass } = next?.remaining ?? { uncertain: 0, defect: 0, pass: 0 };
  parts.remaining.textContent = `to review: ${uncertain} uncertain, ${defect} defect, ${pass} pass (sample)`;
  parts.message.textContent = state.message;
  document.body.dataset.imageId = image?.imageId ?? '';
  document.body.dataset.tier = next?.tier ?? '';
  parts.empty.hidden = Boolean(image);
  parts.photo.hidden = !image;
  if (!image) {
    parts.empty.replaceChildren(
      state.after === undefined
        ? 'Nothing to review: every analysed image of the index is reviewed.'
        : 'The end of the queue. ',
      state.after === undefined
        ? ''
        : element(
            'button',
            { type: 'button', onclick: () => void load(undefined) },
            'Start again from the top',
          ),
    );
    parts.model.replaceChildren();
    parts.scores.replaceChildren();
    parts.labels.replaceChildren();
    return;
  }
  parts.photo.src = image.photo;
  parts.photo.alt = image.imageId;
  parts.model.replaceChildren(
    element('span', { className: `badge ${image.verdict}` }, next.tier),
    ` the model says `,
    element('strong', { id: 'model-label' }, image.label),
    ` at ${percent(image.confidence)} · device ${image.deviceId} · ${image.address} · ${when(image.storedAt)}`,
  );
  const scores = Object.entries(image.scores ?? {}).sort((a, b) => b[1] - a[1]);
  parts.scores.replaceChildren(
    ...scores.map(([label, score]) =>
      element(
        'li',
        {},
        element('span', { className: 'score-label' }, label),
        element('span', { className: 'bar', style: `width: ${Math.round(score * 100)}%` }),
        ` ${percent(score)}`,
      ),
    ),
  );
  parts.labels.replaceChildren(
    ...state.labels.map((label, index) =>
      element(
        'button',
        {
          type: 'button',
          'data-label': label,
          className: label === image.label ? 'model-choice' : '',
          onclick: () => void pick(label),
        },
        index < 9 ? element('kbd', {}, String(index + 1)) : '',
        ` ${label}`,
      ),
    ),
  );
}

/** Labels the image shown, then shows the next one. */
async function pick(label, newLabel = false) {
  const next = state.current;
  if (!next?.image || state.busy) return;
  await work(async () => {
    await call('PUT', imageUrl(next.image), newLabel ? { label, newLabel } : { label });
    state.done.push({ kind: 'label', shown: next, after: state.after, label });
    state.message = `${next.image.imageId}: ${label} (U to undo)`;
    await load(next.cursor);
  });
}

async function skip() {
  const next = state.current;
  if (!next?.image || state.busy) return;
  await work(async () => {
    state.done.push({ kind: 'skip', shown: next, after: state.after });
    state.message = `${next.image.imageId} skipped (U to undo)`;
    await load(next.cursor);
  });
}

/** Takes the last label back (or comes back to the image skipped last) and shows that image again. */
async function undo() {
  const last = state.done[state.done.length - 1];
  if (!last || state.busy) return;
  await work(async () => {
    if (last.kind === 'label') await call('DELETE', imageUrl(last.shown.image));
    state.done.pop();
    state.message =
      last.kind === 'label'
        ? `${last.shown.image.imageId}: ${last.label} taken back`
        : `back to ${last.shown.image.imageId}`;
    show(last.shown, last.after);
  });
}

async function work(action) {
  state.busy = true;
  try {
    await action();
  } catch (error) {
    state.message = `failed: ${error.message}`;
    render();
  } finally {
    state.busy = false;
  }
}

function onKey(event) {
  if (event.target === parts.newLabel || event.ctrlKey || event.metaKey || event.altKey) return;
  const image = state.current?.image;
  if (/^[1-9]$/.test(event.key)) {
    const label = state.labels[Number(event.key) - 1];
    if (label !== undefined) void pick(label);
  } else if (event.key === 'Enter') {
    if (image) void pick(image.label);
  } else if (event.key === 's' || event.key === 'S') {
    void skip();
  } else if (event.key === 'u' || event.key === 'U') {
    void undo();
  } else return;
  event.preventDefault();
}

function build() {
  document.getElementById('page').replaceChildren(
    element(
      'header',
      {},
      element('h1', {}, 'Review'),
      parts.remaining,
      element('a', { href: '/images' }, 'newest images'),
    ),
    element(
      'p',
      { className: 'keys' },
      element('kbd', {}, '1'),
      '…',
      element('kbd', {}, '9'),
      ' pick a label · ',
      element('kbd', {}, 'Enter'),
      " accept the model's · ",
      element('kbd', {}, 'S'),
      ' skip · ',
      element('kbd', {}, 'U'),
      ' undo',
    ),
    element(
      'div',
      { className: 'review' },
      element('figure', {}, parts.photo, parts.empty),
      element(
        'section',
        { className: 'verdict' },
        parts.model,
        parts.scores,
        parts.labels,
        element(
          'form',
          {
            className: 'new-label',
            onsubmit: (event) => {
              event.preventDefault();
              const label = parts.newLabel.value.trim();
              if (label === '') return;
              parts.newLabel.value = '';
              parts.newLabel.blur();
              void pick(label, true);
            },
          },
          parts.newLabel,
          element('button', { type: 'submit' }, 'add label'),
        ),
        parts.message,
      ),
    ),
  );
  document.addEventListener('keydown', onKey);
}

build();
void work(() => load(undefined));
