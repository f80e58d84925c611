import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { type GraphQLSchema, lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './common/scalars.js';
import './common/errors.js';
import './member/types.js';
import './member/queries.js';
import './member/mutations.js';
import './member/personal-data.js';
import './organization/types.js';
import './organization/queries.js';
import './organization/mutations.js';
import './organization/roles.js';
import './organization/policies.js';
import './organization/lists.js';
import './organization/report.js';
import './catalogue/types.js';
import './catalogue/queries.js';
import './catalogue/mutations.js';
import './catalogue/subscriptions.js';
import './catalogue/timetable.js';
import './booking/types.js';
import './booking/queries.js';
import './booking/mutations.js';
import './credit/types.js';
import './credit/queries.js';
import './credit/mutations.js';
import './credit/subscription-billing.js';
import './order/types.js';
import './order/queries.js';
import './order/mutations.js';
import './order/promotions.js';
import './order/registrations.js';
import './order/invoices.js';
import './order/payments.js';
import './order/refunds.js';
import './waitlist/types.js';
import './waitlist/queries.js';
import './waitlist/mutations.js';
import './waitlist/subscriptions.js';
import './closure/types.js';
import './closure/mutations.js';
import './webhook/types.js';
import './webhook/mutations.js';
import './calendar/fields.js';
import { TEST_CLOCK_FIELDS } from './clock/fields.js';

builder.queryType({
  description: 'Reads. Every field declares who may call it; most catalogue data is public.',
  authScopes: { loggedIn: true },
});
builder.mutationType({
  description: 'Writes. Each takes one `input` and returns `<Name>Success` or a typed error (`... on Error { code message }`).',
  authScopes: { loggedIn: true },
});
builder.subscriptionType({
  description: 'Live updates over graphql-ws on /graphql.',
  authScopes: { loggedIn: true },
});

/** Every field, the test clock's included (served only with TEST_CLOCK=1), types sorted by name. */
export const testClockSchema = lexicographicSortSchema(builder.toSchema());

const TEST_CLOCK_TYPES = new Set(['AdvanceClockInput', 'AdvanceClockSuccess', 'AdvanceClockResult']);

function withoutTestClock(full: GraphQLSchema): GraphQLSchema {
  return mapSchema(full, {
    [MapperKind.QUERY_ROOT_FIELD]: (field, name) => ((TEST_CLOCK_FIELDS.query as readonly string[]).includes(name) ? null : field),
    [MapperKind.MUTATION_ROOT_FIELD]: (field, name) =>
      (TEST_CLOCK_FIELDS.mutation as readonly string[]).includes(name) ? null : field,
    [MapperKind.TYPE]: (type) => (TEST_CLOCK_TYPES.has(type.name) ? null : type),
  });
}

/** The executable schema every other server serves, as printed in schema.graphql. */
export const schema = withoutTestClock(testClockSchema);
