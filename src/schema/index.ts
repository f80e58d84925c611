import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './common/scalars.js';
import './common/errors.js';
import './member/types.js';
import './member/queries.js';
import './member/mutations.js';
import './organization/types.js';
import './organization/queries.js';
import './organization/mutations.js';
import './catalogue/types.js';
import './catalogue/queries.js';
import './catalogue/mutations.js';
import './catalogue/subscriptions.js';

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

/** The executable schema, types sorted by name (as printed in schema.graphql). */
export const schema = lexicographicSortSchema(builder.toSchema());
