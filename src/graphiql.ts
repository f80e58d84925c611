import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import { type GraphiQLOptions, renderGraphiQL } from 'graphql-yoga';

/**
 * GraphiQL served from this server's own copy of @graphql-yoga/graphiql instead of a CDN, so the
 * playground works on a closed network (a venue's lobby, an offline laptop, CI).
 */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

const ASSETS_DIR = join(dirname(createRequire(import.meta.url).resolve('@graphql-yoga/graphiql/package.json')), 'dist');
/** The browser build of graphql-ws, for the fetcher below (also served to the lobby screens). */
const GRAPHQL_WS_FILE = 'graphql-ws.min.js';
const GRAPHQL_WS_UMD = join(dirname(createRequire(import.meta.url).resolve('graphql-ws/package.json')), 'umd', GRAPHQL_WS_FILE);
const CDN = /https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g;
const FAVICON = /<link rel=icon href=https:[^>]+>/;
const YOGA_SCRIPT = `<script src=${GRAPHIQL_ASSETS_PATH}yoga-graphiql.umd.js></script>`;

/** What a token placeholder looks like: never a token (it has spaces), so the server ignores it. */
export const TOKEN_PLACEHOLDER = 'Bearer <paste the token from logIn>';
const HEADERS = `{"authorization": "${TOKEN_PLACEHOLDER}"}`;

const WELCOME = `# Class booking API. Each tab is an example to run with ▶
# (or Ctrl-Enter) on the demo data of \`npm start\` (README,
# "Demo organisations"):
#   Schedule          sessions with seats left (public)
#   LogIn             the demo member's login: copy the token
#   BookSession       book a seat (token; ids in Variables)
#   CancelBooking     cancel a booking (token)
#   LiveSeats         seats as they change (public)
#   MyWaitlistOffers  your waitlist offers, live (token)
#
# The token: in the Headers pane below, replace the placeholder
#   {"authorization": "Bearer <paste the token from logIn>"}
# with "Bearer <token>", in each tab that needs it (each tab
# keeps its own headers). Queries and mutations send it as the
# Authorization header; subscriptions (WebSocket, graphql-ws)
# as connectionParams.authorization, which the server reads.
# Messages come in your browser's language: the first of
# English or French its Accept-Language names, else French.
# "accept-language": "en" (or "fr") in the headers overrides
# it. Docs (top left): every type and field.
`;

const SCHEDULE = `${WELCOME}
# The next 10 sessions with a seat left, soonest first, of
# every organisation here. For one organisation, set Variables
# to {"organizationId": "<organization.id from the answer>"}.
query Schedule($organizationId: ID) {
  organization(slug: "aquababyclub") { id name timeZone }
  sessions(
    filter: { organizationId: $organizationId, onlyAvailable: true }
    first: 10
  ) {
    edges {
      node {
        id
        startsAt
        seatsLeft
        capacity
        waitlistLength
        activity { name audience }
        organization { slug }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

const LOG_IN = `# Log in as the demo member, Camille Martin: Camille (adult)
# and Léo (a child) hold credits in every demo organisation.
# Copy the token into the Headers of the tabs that need it:
#   {"authorization": "Bearer <the token>"}
# and the beneficiaries' ids into BookSession's Variables.
mutation LogIn {
  logIn(input: { email: "member@example.com", password: "demo-password" }) {
    __typename
    ... on LogInSuccess {
      token
      expiresAt
      viewer { firstName lastName beneficiaries { id firstName birthDate } }
    }
    ... on Error { code message }
  }
}
`;

const BOOK = `# Book a seat with a credit (needs the token in Headers).
# Variables: a session from Schedule, a beneficiary from LogIn.
# Adults book adult activities, Léo the children's (audience).
# On a full session the beneficiary joins its waitlist instead
# (joinWaitlistIfFull). A refusal is a typed answer with a code.
mutation BookSession($sessionId: ID!, $beneficiaryId: ID!) {
  bookSession(input: {
    sessionId: $sessionId, beneficiaryId: $beneficiaryId, joinWaitlistIfFull: true
  }) {
    __typename
    ... on BookSessionSuccess {
      booking { id status freeCancellationUntil session { startsAt seatsLeft } }
    }
    ... on BookSessionWaitlisted { waitlistEntry { id } }
    ... on Error { code message }
  }
}
`;

const BOOK_VARIABLES = `{
  // A session's id: edges.node.id in the Schedule tab's answer.
  "sessionId": "<paste a session id>",
  // A beneficiary's id: viewer.beneficiaries in the LogIn tab's answer.
  "beneficiaryId": "<paste a beneficiary id>"
}`;

const CANCEL = `# Cancel a booking (needs the token in Headers). Before
# freeCancellationUntil the credit comes back (creditReturned);
# later it is lost, unless the activity's rule re-credits it.
mutation CancelBooking($bookingId: ID!) {
  cancelBooking(input: { bookingId: $bookingId }) {
    __typename
    ... on CancelBookingSuccess {
      creditReturned
      booking { id status cancelledAt session { seatsLeft } }
    }
    ... on Error { code message }
  }
}
`;

const CANCEL_VARIABLES = `{
  // booking.id in BookSession's answer (or viewer { bookings }).
  "bookingId": "<paste a booking id>"
}`;

const LIVE_SEATS = `# Seats as they change, over WebSocket (public: no token).
# Run it and stay on this tab (leaving it stops the stream):
# each booking, cancellation or capacity change of a watched
# session arrives here. Book from another window to see one.
# Nothing comes until a change: the current seats are in
# Schedule. The filter names what it watches: organizationId,
# venueId, activityId or ids.
subscription LiveSeats($organizationId: ID!) {
  sessionAvailability(filter: { organizationId: $organizationId }) {
    seatsLeft
    capacity
    waitlistLength
    session { id startsAt activity { name } }
  }
}
`;

const LIVE_SEATS_VARIABLES = `{
  // organization.id in the Schedule tab's answer (aquababyclub).
  "organizationId": "<paste an organization id>"
}`;

const WAITLIST_OFFERS = `# Your waitlist offers as they come, over WebSocket (needs the
# token in Headers, sent as connectionParams.authorization).
# Run it and stay on this tab. An offer comes when a seat frees
# in a session one of your beneficiaries waits for (BookSession
# on a full session joins its waitlist; studio-waitlist's have
# 3 seats). Claim it before expiresAt: claimWaitlistOffer.
subscription MyWaitlistOffers {
  myWaitlistOffers {
    id
    status
    expiresAt
    claimUrl
    beneficiary { firstName }
    session { id startsAt activity { name } }
  }
}
`;

/** The example tabs GraphiQL opens with (on a browser that has no tabs of its own stored yet). */
export const GRAPHIQL_TABS: readonly { query: string; variables: string | null; headers: string }[] = [
  { query: SCHEDULE, variables: null, headers: HEADERS },
  { query: LOG_IN, variables: null, headers: HEADERS },
  { query: BOOK, variables: BOOK_VARIABLES, headers: HEADERS },
  { query: CANCEL, variables: CANCEL_VARIABLES, headers: HEADERS },
  { query: LIVE_SEATS, variables: LIVE_SEATS_VARIABLES, headers: HEADERS },
  { query: WAITLIST_OFFERS, variables: null, headers: HEADERS },
];

/**
 * GraphiQL's options. Yoga's page always hands GraphiQL an initial query: its `query` option
 * (missing from Yoga's type), else the page URL's `?query=`, else Yoga's welcome comment, which runs
 * as "Syntax Error: Unexpected <EOF>" (`defaultQuery` does not count). GraphiQL shows that initial
 * query in the editor instead of the first tab's, so `query` is the first tab's. A browser with
 * tabs stored gets its active tab's query, variables and headers instead (the page script below).
 */
export function graphiqlOptions(title: string): GraphiQLOptions & { query: string } {
  return {
    title,
    subscriptionsProtocol: 'WS',
    query: SCHEDULE,
    defaultQuery: SCHEDULE,
    defaultTabs: GRAPHIQL_TABS.map((tab) => ({ ...tab })),
    headers: HEADERS,
    defaultEditorToolsVisibility: 'headers',
  };
}

/**
 * GraphiQL's requests. Yoga's own fetcher sends the headers pane's headers on HTTP only: over
 * graphql-ws they ride in the subscribe message's `extensions`, where no server reads a login. This
 * one sends queries and mutations over HTTP with those headers, and subscriptions over a graphql-ws
 * socket of their own whose connectionParams are those headers (names in lower case), as every
 * client of this API does. Plain browser JavaScript, injected into the page as it is.
 */
const FETCHER_SCRIPT = `<script src=${GRAPHIQL_ASSETS_PATH}${GRAPHQL_WS_FILE}></script><script>(function () {
  // The operations of a document, in order: their keyword and name, read at its top level
  // (outside strings, comments and braces). An anonymous query shorthand ({ ... }) counts as a query.
  function operationsOf(query) {
    var text = String(query).replace(/"""[\\s\\S]*?"""|"(?:[^"\\\\\\r\\n]|\\\\.)*"|#[^\\r\\n]*/g, ' ');
    var top = '', depth = 0, shorthand = false;
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (c === '{' || c === '(' || c === '[') { if (depth === 0) { if (c === '{' && !/\\b(query|mutation|subscription|fragment)\\b[^{}]*$/.test(top)) shorthand = true; top += ' '; } depth++; }
      else if (c === '}' || c === ')' || c === ']') depth--;
      else if (depth === 0) top += c;
    }
    var found = /\\b(query|mutation|subscription)\\b\\s*([_A-Za-z][_0-9A-Za-z]*)?/g, match, list = [];
    while ((match = found.exec(top))) list.push({ type: match[1], name: match[2] || null });
    if (shorthand) list.push({ type: 'query', name: null });
    return list;
  }
  // GraphiQL may still hold the operation name of the tab shown before: a name the document does
  // not define is replaced by the document's only operation (or dropped), as the server would
  // otherwise answer that it cannot tell which operation to run.
  function resolveOperation(params) {
    var operations = operationsOf(params.query);
    var chosen = operations.filter(function (operation) { return params.operationName && operation.name === params.operationName; })[0];
    if (!chosen && operations.length === 1) chosen = operations[0];
    var fixed = Object.assign({}, params);
    if (chosen) fixed.operationName = chosen.name || undefined;
    return { params: fixed, subscription: !!chosen && chosen.type === 'subscription' };
  }
  function lowerCased(headers) {
    var out = {};
    for (var name in headers || {}) out[name.toLowerCase()] = headers[name];
    return out;
  }
  function closedMessage(event) {
    return { message: 'The WebSocket closed (' + event.code + (event.reason ? ' ' + event.reason : '') + ')' };
  }
  function createFetcher(endpoint) {
    var url = new URL(endpoint, location.href);
    var wsUrl = url.href.replace(/^http/, 'ws');
    return function (given, options) {
      var headers = lowerCased(options && options.headers);
      var resolved = resolveOperation(given);
      var params = resolved.params;
      if (!resolved.subscription) {
        return fetch(url.href, {
          method: 'POST',
          credentials: 'same-origin',
          headers: Object.assign({ accept: 'application/graphql-response+json, application/json' }, headers, { 'content-type': 'application/json' }),
          body: JSON.stringify(params),
        }).then(function (response) { return response.json(); });
      }
      return {
        subscribe: function (observer) {
          var client = graphqlWs.createClient({ url: wsUrl, connectionParams: headers, lazy: true, retryAttempts: 0 });
          var done = false;
          function finish() { if (!done) { done = true; client.dispose(); } }
          var unsubscribe = client.subscribe(params, {
            next: function (result) { observer.next(result); },
            error: function (error) {
              // Errors of the operation come as a list (shown as an answer would be); a socket that
              // closes (4403: the token does not hold) as its close code.
              if (Array.isArray(error)) observer.next({ errors: error });
              else if (error && typeof error.code === 'number') observer.next({ errors: [closedMessage(error)] });
              else observer.next({ errors: [{ message: String((error && error.message) || error) }] });
              finish();
              observer.complete();
            },
            complete: function () { finish(); observer.complete(); },
          });
          return { unsubscribe: function () { unsubscribe(); finish(); } };
        },
      };
    };
  }
  // The tab that was active when this browser last left the page, as GraphiQL stored it (the
  // same checks as GraphiQL's own, so a state it would refuse is not used either); null if none.
  function storedActiveTab() {
    function stringOrNull(value) { return typeof value === 'string' || value === null; }
    try {
      var state = JSON.parse(localStorage.getItem('graphiql:tabState'));
      var valid = state && Array.isArray(state.tabs) && typeof state.activeTabIndex === 'number' && state.tabs.every(function (tab) {
        return tab && typeof tab.id === 'string' && typeof tab.title === 'string' && stringOrNull(tab.query) && stringOrNull(tab.variables)
          && stringOrNull(tab.headers) && stringOrNull(tab.operationName) && stringOrNull(tab.response);
      });
      return (valid && state.tabs[state.activeTabIndex]) || null;
    } catch (error) {
      return null;
    }
  }
  // On load GraphiQL looks among its stored tabs for one holding exactly the initial query,
  // variables and headers, and adds a tab when none does. The initial query is Schedule's, so a
  // reload from any other tab (its own variables or headers) added one more Schedule tab each time.
  // With tabs stored, the initial editors are the active stored tab's own: it opens again, as it was.
  function reopened() {
    var tab = storedActiveTab();
    return tab ? { query: tab.query || '', variables: tab.variables || '', initialHeaders: tab.headers || '' } : {};
  }
  var render = YogaGraphiQL.renderYogaGraphiQL;
  YogaGraphiQL.renderYogaGraphiQL = function (root, options) {
    return render(root, Object.assign({}, options, reopened(), { fetcher: createFetcher(options.endpoint || location.pathname) }));
  };
})();</script>`;

export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  const html = renderGraphiQL(options).replace(CDN, GRAPHIQL_ASSETS_PATH).replace(FAVICON, '<link rel=icon href="data:,">');
  if (!html.includes(YOGA_SCRIPT)) throw new Error('GraphiQL page: the Yoga script tag moved; the fetcher cannot be installed');
  // Yoga fills in the first __TITLE__ only; the loading text has the second.
  return html.replace(YOGA_SCRIPT, YOGA_SCRIPT + FETCHER_SCRIPT).replaceAll('__TITLE__', escapeHtml(options.title ?? 'GraphiQL'));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css' };

/** Serves GET /graphiql/<file> from the package's dist folder (and graphql-ws's browser build); false when the path is not one. */
export async function serveGraphiQLAsset(url: string, res: ServerResponse): Promise<boolean> {
  if (!url.startsWith(GRAPHIQL_ASSETS_PATH)) return false;
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(url.slice(GRAPHIQL_ASSETS_PATH.length).split('?')[0] ?? ''));
  } catch {
    // Malformed percent-encoding names no file.
    res.writeHead(404).end();
    return true;
  }
  const file = relative === GRAPHQL_WS_FILE ? GRAPHQL_WS_UMD : join(ASSETS_DIR, relative);
  const type = TYPES[file.slice(file.lastIndexOf('.'))];
  const inside = file === GRAPHQL_WS_UMD || file.startsWith(ASSETS_DIR + sep);
  if (!inside || !type || !(await stat(file).catch(() => null))?.isFile()) {
    res.writeHead(404).end();
    return true;
  }
  res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'public, max-age=86400' });
  createReadStream(file).pipe(res);
  return true;
}
