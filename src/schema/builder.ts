import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Context } from '../context.js';
import { prisma } from '../db/client.js';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import DataLoader from 'dataloader';
import { beneficiariesCoachedBy, beneficiariesStaffedBy, isStaff, membersStaffedBy, roleIn, sessionsCoachedBy } from '../services/access.js';
import { MAX_NODE_IDS } from '../domain/input-limits.js';
import { logger } from '../logger.js';
import { decodeGlobalIdOrNothing } from './common/ids.js';

export interface AuthScopes {
  /** Anyone, logged in or not. Every public field says so explicitly. */
  public: boolean;
  loggedIn: boolean;
  /** The viewer is this member. */
  self: string;
  /** The viewer is staff (STAFF or ADMIN) of this organization. */
  staffOf: string;
  /** The viewer is an ADMIN of this organization. */
  adminOf: string;
  /** The viewer is staff of an organization this member belongs to (any role). */
  staffOfMember: string;
  /** The viewer is staff of an organization this beneficiary booked or bought from. */
  staffOfBeneficiary: string;
  /** The viewer is staff of the organization running this session. */
  staffOfSession: string;
  /** The viewer coaches this session (its coach profile is theirs, and they are still above MEMBER there). */
  coachOfSession: string;
  /** The viewer coaches a session this beneficiary is booked in. */
  coachOfBeneficiary: string;
  /** The viewer is the member of this waitlist entry. */
  ownerOfWaitlistEntry: string;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date };
    EmailAddress: { Input: string; Output: string };
    ID: { Input: string; Output: string };
  };
}>({
  // Errors first so that it also turns scope-auth failures into typed mutation results.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    // Built once per request. The per-record checks go through DataLoaders, so that the scopes of
    // a list's items (a page of members, bookings…) cost one statement, not one per item.
    authScopes: (context) => {
      const viewerId = context.viewer?.memberId ?? null;
      const batched = (check: (viewerId: string, ids: readonly string[]) => Promise<Set<string>>) => {
        if (!viewerId) return () => false;
        const loader = new DataLoader<string, boolean>(async (ids) => {
          const allowed = await check(viewerId, ids);
          return ids.map((id) => allowed.has(id));
        });
        return (id: string) => loader.load(id);
      };
      return {
        public: true,
        loggedIn: context.viewer !== null,
        self: (memberId) => context.viewer?.memberId === memberId,
        staffOf: async (organizationId) => (context.viewer ? isStaff(context.viewer.memberId, organizationId) : false),
        adminOf: async (organizationId) => (context.viewer ? (await roleIn(context.viewer.memberId, organizationId)) === 'ADMIN' : false),
        staffOfMember: batched(membersStaffedBy),
        staffOfBeneficiary: batched(beneficiariesStaffedBy),
        staffOfSession: async (sessionId) => {
          if (!context.viewer) return false;
          const session = await prisma.session.findUnique({ where: { id: sessionId }, select: { organizationId: true } });
          return session ? isStaff(context.viewer.memberId, session.organizationId) : false;
        },
        coachOfSession: batched(sessionsCoachedBy),
        coachOfBeneficiary: batched(beneficiariesCoachedBy),
        ownerOfWaitlistEntry: async (entryId) => {
          if (!context.viewer) return false;
          const entry = await prisma.waitlistEntry.findUnique({ where: { id: entryId }, select: { memberId: true } });
          return entry?.memberId === context.viewer.memberId;
        },
      };
    },
    unauthorizedError: (_parent, context) =>
      context.viewer ? new ForbiddenError() : new UnauthenticatedError(),
  },
  errors: {
    defaultTypes: [],
    directResult: true,
    defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
  },
  prisma: {
    client: () => prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    // A resolver that never spreads its planned `query` loses the selection folding. Reported in
    // the JSON log (Pothos's 'warn' would print a plain-text line), outside production.
    onUnusedQuery:
      process.env.NODE_ENV === 'production'
        ? null
        : (info) => logger.warn({ field: `${info.parentType.name}.${info.fieldName}` }, 'Prisma query was unused in resolver'),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // An ID that names nothing (malformed, unknown type, not a UUID) is answered with null, like
    // one whose row does not exist, instead of an error.
    decodeGlobalID: (globalID) => decodeGlobalIdOrNothing(globalID),
    nodeQueryOptions: {
      description: 'Fetches any object by its global ID; null when it does not exist or is not visible to you.',
      authScopes: { public: true },
      skipTypeScopes: true,
      nullable: true,
      args: { id: { description: 'A global ID.' } },
      resolve: (_root, args, _context, _info, resolveNode) => (args.id.typename ? resolveNode(args.id) : null),
    },
    nodesQueryOptions: {
      // The bound is checked before any ID is decoded (src/input-bounds.ts).
      args: { ids: { description: `Global IDs (at most ${MAX_NODE_IDS}).`, extensions: { maxItems: MAX_NODE_IDS } } },
      resolve: (_root, args, _context, _info, resolveNodes) => {
        const all = args.ids;
        const known = all.filter((id) => id.typename);
        if (known.length === 0) return all.map(() => null);
        // plugin-relay's callback loads `args.ids` whatever it is given, and an ID naming no type
        // fails there with a raw " has not been implemented": hand it only the known ones.
        (args as { ids: typeof all }).ids = known;
        return resolveNodes(known).then((nodes) => {
          let next = 0;
          return all.map((id) => (id.typename ? nodes[next++] : null));
        });
      },
      description: 'Fetches several objects by their global IDs.',
      // Each ID is a lookup: the cost grows with the list, so that aliasing `nodes` cannot multiply it.
      complexity: (args) => ({ field: args.ids.length, multiplier: args.ids.length }),
      authScopes: { public: true },
      skipTypeScopes: true,
    },
    idFieldOptions: { description: 'Global, opaque ID (Relay): pass it to `node(id:)` or to mutations.' },
    nodeTypeOptions: { description: 'An object with a global ID (Relay).' },
    pageInfoTypeOptions: { description: 'Pagination state of a connection (Relay).' },
    cursorFieldOptions: { description: 'Opaque cursor of this edge: pass it as `after` to continue.' },
    nodeFieldOptions: { description: 'The item.' },
    edgesFieldOptions: { description: 'The items of this page, with their cursors.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'True when more items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'True when items precede this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first item of this page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of this page: pass it as `after`.' },
    firstArgOptions: { description: 'Page size, counting forward (default 50, at most 200).' },
    afterArgOptions: { description: 'Return items after this cursor.' },
    lastArgOptions: { description: 'Page size, counting backward.' },
    beforeArgOptions: { description: 'Return items before this cursor.' },
    defaultConnectionTypeOptions: { description: 'A page of a list (Relay connection).' },
    defaultEdgeTypeOptions: { description: 'An item of a list with its cursor (Relay edge).' },
  },
  // Field costs only: the limits (MAX_COMPLEXITY, MAX_BREADTH) are checked per operation, before it
  // runs, by src/operation-limits.ts, so that a refusal has a code and an HTTP 400.
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
  },
});

export function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
