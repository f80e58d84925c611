import { DateResolver, DateTimeResolver, EmailAddressResolver } from 'graphql-scalars';
import { builder } from '../builder.js';

builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'An instant, as an ISO 8601 date-time with an offset (e.g. 2026-03-01T09:30:00+01:00). Returned in UTC.',
});
builder.addScalarType('Date', DateResolver, {
  description: 'A calendar date, YYYY-MM-DD (e.g. a date of birth).',
});
builder.addScalarType('EmailAddress', EmailAddressResolver, {
  description: 'An email address (RFC 5322). Inputs take plain strings so that a bad address gets a typed VALIDATION error.',
});

/** Money: integer cents and an ISO 4217 currency. Prices include tax. */
export const Money = builder.objectRef<{ amountCents: number; currency: string }>('Money').implement({
  description: 'An amount of money: integer cents and an ISO 4217 currency code. Prices include tax.',
  fields: (t) => ({
    amountCents: t.exposeInt('amountCents', { description: 'Amount in the smallest unit of the currency (cents).' }),
    currency: t.exposeString('currency', { description: 'ISO 4217 currency code, e.g. EUR.' }),
  }),
});
