// Lobby screen of a venue: today's sessions (in the organisation's time zone) with live seats.
// Plain browser module, no build step. Data: the public `node`/`sessions` queries over HTTP and the
// public `sessionAvailability` subscription over graphql-ws (global `graphqlWs`, served locally).
//
// Reconnect strategy: the graphql-ws client retries for ever (backoff capped at 30 s) and
// re-subscribes by itself; on every (re)connection the page re-runs the `sessions` query, so
// whatever changed while it was offline is shown, then once more a moment later to cover events
// published while the new subscription was being set up.

const LABELS = {
  fr: {
    title: 'Séances du jour',
    time: 'Heure',
    activity: 'Activité',
    seats: 'Places',
    state: '',
    full: 'Complet',
    cancelled: 'Annulé',
    ongoing: 'En cours',
    finished: 'Terminé',
    waiting: (n) => `${n} en attente`,
    noCoach: '',
    none: 'Aucune séance aujourd’hui.',
    notFound: 'Lieu introuvable.',
    live: 'En direct',
    connecting: 'Connexion…',
    offline: 'Hors ligne, reconnexion…',
  },
  en: {
    title: 'Today’s sessions',
    time: 'Time',
    activity: 'Activity',
    seats: 'Seats',
    state: '',
    full: 'Full',
    cancelled: 'Cancelled',
    ongoing: 'In progress',
    finished: 'Finished',
    waiting: (n) => `${n} waiting`,
    noCoach: '',
    none: 'No sessions today.',
    notFound: 'Venue not found.',
    live: 'Live',
    connecting: 'Connecting…',
    offline: 'Offline, reconnecting…',
  },
};

const params = new URLSearchParams(location.search);
const lang = params.get('lang') === 'en' ? 'en' : 'fr';
const locale = lang === 'en' ? 'en-GB' : 'fr-FR';
const t = LABELS[lang];

const venueId = (() => {
  const last = location.pathname.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
})();

const SESSION_FIELDS = `
  id startsAt endsAt status capacity seatsLeft waitlistLength
  activity { name }
  coach { displayName }
`;

const VENUE_QUERY = `
  query LobbyVenue($id: ID!) {
    node(id: $id) {
      __typename
      ... on Venue { id name city organization { name timeZone } }
    }
  }
`;

const SESSIONS_QUERY = `
  query LobbySessions($filter: SessionFilter!, $after: String) {
    sessions(filter: $filter, first: 200, after: $after) {
      edges { node { ${SESSION_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const AVAILABILITY_SUBSCRIPTION = `
  subscription LobbyAvailability($filter: SessionFilter!) {
    sessionAvailability(filter: $filter) {
      seatsLeft capacity waitlistLength
      session { ${SESSION_FIELDS} }
    }
  }
`;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {{ id: string, name: string, city: string, organization: { name: string, timeZone: string } } | null} */
let venue = null;
/** @type {{ key: string, from: number, to: number } | null} */
let day = null;
/** Session id → { session fields, eventAt } (eventAt: when a live event last set it). */
const sessions = new Map();
let client = null;
let unsubscribe = null;
let refreshSeq = 0;
let catchUpTimer = null;
let resubscribeTimer = null;
/** Whether today's list has been read once (so "no sessions" is not shown while loading). */
let loaded = false;

// ---------------------------------------------------------------------------------------- time

const partsFormatters = new Map();
/** Wall-clock parts of an instant in a time zone. */
function zonedParts(ms, timeZone) {
  let format = partsFormatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, format);
  }
  const parts = {};
  for (const part of format.formatToParts(new Date(ms))) parts[part.type] = Number(part.value);
  return parts;
}

/** Offset of the time zone from UTC at an instant, in ms. */
function offsetAt(ms, timeZone) {
  const p = zonedParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant of local midnight starting that date (Date.UTC normalises day overflow). */
function localMidnight(year, month, dayOfMonth, timeZone) {
  const wall = Date.UTC(year, month - 1, dayOfMonth);
  const guess = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(guess, timeZone);
}

/** Today in the time zone: from its local midnight to the next. */
function todayIn(timeZone, now = Date.now()) {
  const p = zonedParts(now, timeZone);
  return {
    key: `${p.year}-${p.month}-${p.day}`,
    from: localMidnight(p.year, p.month, p.day, timeZone),
    to: localMidnight(p.year, p.month, p.day + 1, timeZone),
  };
}

// ----------------------------------------------------------------------------------- network

async function query(document, variables) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      'accept-language': lang,
    },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) {
    const error = new Error(body.errors[0].message);
    error.code = body.errors[0].extensions?.code;
    throw error;
  }
  return body.data;
}

function dayFilter() {
  return { venueId, from: new Date(day.from).toISOString(), to: new Date(day.to).toISOString() };
}

/** Re-reads today's sessions; events that arrived meanwhile win over this (older) snapshot. */
async function refresh() {
  if (!day) return;
  const seq = ++refreshSeq;
  const startedAt = performance.now();
  const dayKey = day.key;
  const found = [];
  let after = null;
  try {
    for (;;) {
      const data = await query(SESSIONS_QUERY, { filter: dayFilter(), after });
      for (const edge of data.sessions.edges) found.push(edge.node);
      if (!data.sessions.pageInfo.hasNextPage) break;
      after = data.sessions.pageInfo.endCursor;
    }
  } catch {
    // Offline or server restarting: the next (re)connection refreshes again.
    return;
  }
  if (seq !== refreshSeq || !day || day.key !== dayKey) return; // a newer refresh or another day
  const next = new Map();
  for (const session of found) {
    const current = sessions.get(session.id);
    next.set(session.id, current && current.eventAt > startedAt ? current : { ...session, eventAt: 0 });
  }
  // A session first seen through an event during the refresh is kept too.
  for (const [id, current] of sessions) if (!next.has(id) && current.eventAt > startedAt) next.set(id, current);
  sessions.clear();
  for (const [id, session] of next) sessions.set(id, session);
  loaded = true;
  render();
}

function onAvailability(payload) {
  if (!payload || !day) return;
  const { session, seatsLeft, capacity, waitlistLength } = payload;
  const startsAt = Date.parse(session.startsAt);
  if (startsAt < day.from || startsAt >= day.to) {
    sessions.delete(session.id); // moved to another day
  } else {
    const updated = { ...session, seatsLeft, capacity, waitlistLength, eventAt: performance.now() };
    const previous = sessions.get(session.id);
    if (previous && previous.seatsLeft !== seatsLeft) updated.changed = true;
    sessions.set(session.id, updated);
  }
  render();
}

function subscribe() {
  unsubscribe?.();
  clearTimeout(resubscribeTimer);
  if (!client || !day) return;
  unsubscribe = client.subscribe(
    { query: AVAILABILITY_SUBSCRIPTION, variables: { filter: dayFilter() } },
    {
      next: (result) => onAvailability(result.data?.sessionAvailability),
      // A fatal close or a GraphQL error ends the subscription: start it again a little later.
      error: () => {
        setConnection('offline');
        resubscribeTimer = setTimeout(subscribe, 5_000);
      },
      complete: () => {},
    },
  );
}

function catchUp() {
  refresh();
  clearTimeout(catchUpTimer);
  catchUpTimer = setTimeout(refresh, 2_000);
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  let socket = null;
  let pongTimer = null;
  client = globalThis.graphqlWs.createClient({
    url,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    // Randomised exponential backoff, capped at 30 s: a screen must come back soon after an outage.
    retryWait: (retries) =>
      new Promise((resolve) => setTimeout(resolve, Math.min(1_000 * 2 ** retries, 30_000) + Math.random() * 1_000)),
    // Connects on the first subscription; kept open a moment when the day's subscription is
    // replaced at midnight.
    lazyCloseTimeout: 2_000,
    // A silent network drop (Wi-Fi) is noticed by a ping without pong, and the socket reopened.
    keepAlive: 10_000,
    on: {
      connecting: () => setConnection('connecting'),
      connected: (opened) => {
        socket = opened;
        setConnection('live');
        catchUp();
      },
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => {
          if (socket && socket.readyState === WebSocket.OPEN) socket.close(4408, 'Pong timeout');
        }, 5_000);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: () => {
        clearTimeout(pongTimer);
        setConnection('offline');
      },
    },
  });
  subscribe();
}

// ------------------------------------------------------------------------------------ render

function setConnection(state) {
  const element = $('connection');
  element.dataset.state = state;
  $('connection-label').textContent = t[state];
}

function showMessage(text) {
  const element = $('message');
  element.textContent = text ?? '';
  element.hidden = !text;
}

let timeFormat = null;
function formatTime(ms) {
  timeFormat ??= new Intl.DateTimeFormat(locale, { timeZone: venue.organization.timeZone, hour: '2-digit', minute: '2-digit' });
  return timeFormat.format(new Date(ms));
}

let dateFormat = null;
function renderClock() {
  if (!venue) return;
  dateFormat ??= new Intl.DateTimeFormat(locale, { timeZone: venue.organization.timeZone, weekday: 'long', day: 'numeric', month: 'long' });
  const now = new Date();
  const date = dateFormat.format(now);
  const today = date.charAt(0).toUpperCase() + date.slice(1);
  const clock = formatTime(now.getTime());
  if ($('today').textContent !== today) $('today').textContent = today;
  if ($('clock').textContent !== clock) $('clock').textContent = clock;
}

function element(tag, className, text) {
  const created = document.createElement(tag);
  if (className) created.className = className;
  if (text !== undefined) created.textContent = text;
  return created;
}

function rowFor(id) {
  const list = $('sessions');
  let row = list.querySelector(`li[data-session-id="${CSS.escape(id)}"]`);
  if (row) return row;
  row = element('li', 'row session');
  row.dataset.sessionId = id;
  const time = element('span', 'time');
  const what = element('span', 'what');
  what.append(element('span', 'activity'), element('span', 'coach'));
  const seats = element('span', 'seats');
  const count = element('span', 'count');
  count.dataset.testid = `seats-${id}`;
  seats.append(count, element('span', 'unit'));
  const state = element('span', 'state');
  row.append(time, what, seats, state);
  return row;
}

function renderRow(session, now) {
  const row = rowFor(session.id);
  const startsAt = Date.parse(session.startsAt);
  const endsAt = Date.parse(session.endsAt);
  const cancelled = session.status === 'CANCELLED';
  const full = !cancelled && session.seatsLeft <= 0;
  row.classList.toggle('cancelled', cancelled);
  row.classList.toggle('full', full);
  row.classList.toggle('past', endsAt <= now);
  row.classList.toggle('ongoing', !cancelled && startsAt <= now && now < endsAt);
  row.dataset.seatsLeft = String(session.seatsLeft);
  row.dataset.capacity = String(session.capacity);
  row.dataset.status = session.status;

  row.querySelector('.time').textContent = formatTime(startsAt);
  row.querySelector('.activity').textContent = session.activity?.name ?? '';
  row.querySelector('.coach').textContent = session.coach?.displayName ?? t.noCoach;
  const count = row.querySelector('.count');
  count.textContent = `${session.seatsLeft} / ${session.capacity}`;
  if (session.changed) {
    delete session.changed;
    count.classList.remove('flash');
    void count.offsetWidth; // restart the animation
    count.classList.add('flash');
  }

  const state = row.querySelector('.state');
  state.replaceChildren();
  const badge = (className, text) => state.append(element('span', `badge ${className}`, text));
  if (cancelled) badge('cancelled', t.cancelled);
  else {
    if (full) badge('full', t.full);
    if (session.waitlistLength > 0) badge('waiting', t.waiting(session.waitlistLength));
    if (endsAt <= now) badge('finished', t.finished);
    else if (startsAt <= now) badge('ongoing', t.ongoing);
  }
  state.dataset.testid = `state-${session.id}`;
  return row;
}

function render() {
  const list = $('sessions');
  const now = Date.now();
  const ordered = [...sessions.values()].sort(
    (a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const rows = ordered.map((session) => renderRow(session, now));
  // Reuse rows (no flicker), in start order, dropping the ones that left.
  rows.forEach((row, index) => {
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] ?? null);
  });
  while (list.children.length > rows.length) list.lastElementChild.remove();
  if (venue) showMessage(rows.length || !loaded ? null : t.none);
}

// ------------------------------------------------------------------------------------- start

async function loadVenue() {
  for (let attempt = 0; ; attempt++) {
    try {
      const data = await query(VENUE_QUERY, { id: venueId });
      return data.node?.__typename === 'Venue' ? data.node : null;
    } catch (error) {
      if (error.code === 'NOT_FOUND') return null;
      setConnection('offline');
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000 * 2 ** attempt, 30_000)));
    }
  }
}

/** At local midnight, switch to the new day: new filter, new subscription, fresh list. */
function watchDay() {
  const current = todayIn(venue.organization.timeZone);
  if (day && current.key === day.key) return;
  day = current;
  loaded = false;
  sessions.clear();
  render();
  if (client) {
    subscribe();
    refresh();
  }
}

function waitForGraphqlWs() {
  if (globalThis.graphqlWs) return Promise.resolve();
  return new Promise((resolve) => addEventListener('load', () => resolve(), { once: true }));
}

async function start() {
  document.documentElement.lang = lang;
  document.title = t.title;
  $('col-time').textContent = t.time;
  $('col-activity').textContent = t.activity;
  $('col-seats').textContent = t.seats;
  $('col-state').textContent = t.state;
  setConnection('connecting');

  venue = await loadVenue();
  if (!venue) {
    $('venue-name').textContent = t.notFound;
    document.body.classList.add('not-found');
    setConnection('offline');
    $('connection').hidden = true;
    return;
  }
  document.title = `${venue.name} · ${t.title}`;
  $('venue-name').textContent = venue.name;
  $('venue-details').textContent = [venue.organization.name, venue.city].filter(Boolean).join(' · ');
  renderClock();
  watchDay();
  await waitForGraphqlWs();
  connect();

  setInterval(renderClock, 1_000);
  setInterval(() => {
    watchDay();
    render(); // ongoing / finished states move with the clock
  }, 15_000);
}

start();
