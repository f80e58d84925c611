import { prisma } from '../../db/client.js';
import type { Context } from '../../context.js';
import { createPromoCode } from '../../services/order/promotions.js';
import { DEFAULT_PAGE, MAX_PAGE, totalCountField, useConnection } from '../common/connections.js';
import { builder } from '../builder.js';
import { ActivityRef, VenueRef } from '../catalogue/types.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';

// Promo codes (003 §3.3) and what the member sees of an order before paying (003 §3.2: the
// product's details, its eligibility, the terms and the total).

const NOBODY = '00000000-0000-0000-0000-000000000000';

/** A promo code is staff data: `node(id)` finds it only for the organization's staff. */
function staffedPromoCode(id: string, context: Context) {
  const viewerId = context.viewer?.memberId ?? NOBODY;
  return { id, organization: { memberships: { some: { memberId: viewerId, role: { in: ['STAFF' as const, 'ADMIN' as const] } } } } };
}

export const PromoCodeRef = builder.prismaNode('PromoCode', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: staffedPromoCode,
  nullable: true,
  description: "A promo code members type before paying (003 §3.3). Visible to the organization's staff only.",
  authScopes: (promo) => ({ staffOf: promo.organizationId }),
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The code, uppercase; members may type it in any case.' }),
    percentOff: t.exposeInt('percentOff', { nullable: true, description: 'Percentage taken off the price (1–100), or null.' }),
    amountOffCents: t.exposeInt('amountOffCents', { nullable: true, description: 'Amount taken off the price, in cents, or null.' }),
    validFrom: t.expose('validFrom', { type: 'DateTime', nullable: true, description: 'Usable from this instant (null: at once).' }),
    validUntil: t.expose('validUntil', { type: 'DateTime', nullable: true, description: 'Usable until this instant, excluded (null: no end).' }),
    maxRedemptions: t.exposeInt('maxRedemptions', { nullable: true, description: 'How many orders may use it (null: no limit).' }),
    redemptionCount: t.exposeInt('redemptionCount', { description: 'How many orders used it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
  }),
});

const promoCodesQuery = { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] };

builder.prismaObjectFields('Organization', (t) => ({
  promoCodes: t.relation('promoCodes', {
    description: "The organization's promo codes, newest first. Staff only (others get FORBIDDEN).",
    authScopes: (organization) => ({ staffOf: organization.id }),
    // Codes are never deleted (orders refer to them): the list only grows.
    deprecationReason: useConnection('promoCodesConnection'),
    query: promoCodesQuery,
  }),
  promoCodesConnection: t.relatedConnection(
    'promoCodes',
    {
      description: "The organization's promo codes, newest first. Staff only (others get FORBIDDEN).",
      authScopes: (organization) => ({ staffOf: organization.id }),
      cursor: 'id',
      totalCount: true,
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
      query: promoCodesQuery,
    },
    {
      name: 'OrganizationPromoCodesConnection',
      description: "A page of an organization's promo codes.",
      fields: (c) => ({ totalCount: c.int(totalCountField('How many promo codes the organization has, on every page.')) }),
    },
    { name: 'OrganizationPromoCodesEdge', description: 'A promo code with its cursor.' },
  ),
}));

defineMutation('createPromoCode', {
  description:
    'Staff create a promo code: exactly one of `percentOff` and `amountOffCents`, optionally a validity window and a maximum number of uses. Codes are stored uppercase and are unique in the organization (a duplicate answers VALIDATION on `code`).',
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'The organization (staff only).' }),
    code: t.string({ required: true, description: '3 to 32 letters, digits, hyphens or underscores; any case.' }),
    percentOff: t.int({ required: false, description: 'Percentage off (1–100); or give `amountOffCents`.' }),
    amountOffCents: t.int({ required: false, description: 'Amount off, in cents, tax included; or give `percentOff`.' }),
    validFrom: t.field({ type: 'DateTime', required: false, description: 'Usable from (default: now).' }),
    validUntil: t.field({ type: 'DateTime', required: false, description: 'Usable until, excluded (default: no end).' }),
    maxRedemptions: t.int({ required: false, description: 'How many orders may use it (default: no limit).' }),
  }),
  resolve: async (input, context) => ({
    promoCode: await createPromoCode(context, { ...input, organizationId: decodeId(input.organizationId, 'Organization', 'organizationId') }),
  }),
  success: {
    description: 'The promo code was created.',
    fields: (t) => ({ promoCode: t.field({ type: PromoCodeRef, description: 'The promo code.', resolve: (r) => r.promoCode }) }),
  },
});

// ─── The order summary (003 §3.2) ─────────────────────────────────────────────────────────────
// The offer (name, kind, credits, validityDays or period), the beneficiary, `subtotal`,
// `discount` and `total` are on Order already; these complete what the member sees before paying.

interface Eligibility {
  activities: NonNullable<Awaited<ReturnType<typeof prisma.activity.findFirst>>>[];
  venues: NonNullable<Awaited<ReturnType<typeof prisma.venue.findFirst>>>[];
}

const EligibilityRef = builder.objectRef<Eligibility>('OfferEligibility').implement({
  description: 'Where the credits of an offer can be used: listed activities and venues, or every one of the organization.',
  fields: (t) => ({
    everyActivity: t.boolean({ description: 'True when the credits book any activity of the organization.', resolve: (e) => e.activities.length === 0 }),
    activities: t.field({ type: [ActivityRef], description: 'The activities covered; empty when `everyActivity`.', resolve: (e) => e.activities }),
    everyVenue: t.boolean({ description: 'True when the credits book at any venue of the organization.', resolve: (e) => e.venues.length === 0 }),
    venues: t.field({ type: [VenueRef], description: 'The venues covered; empty when `everyVenue`.', resolve: (e) => e.venues }),
  }),
});

builder.prismaObjectFields('Order', (t) => ({
  promoCode: t.string({
    nullable: true,
    description: 'The promo code applied to this order (uppercase), or null.',
    select: { promoCode: { select: { code: true } } },
    resolve: (order) => order.promoCode?.code ?? null,
  }),
  termsUrl: t.string({
    nullable: true,
    description: 'The terms of sale (CGV) that apply to the offer, when the organization published them.',
    select: { offer: { select: { termsUrl: true } } },
    resolve: (order) => order.offer?.termsUrl ?? null,
  }),
  eligibility: t.field({
    type: EligibilityRef,
    nullable: true,
    description: 'Where its credits can be used (activities and venues); null for an order that buys no offer.',
    select: {
      offer: {
        select: {
          activities: { select: { activity: true }, orderBy: { activity: { name: 'asc' as const } } },
          venues: { select: { venue: true }, orderBy: { venue: { name: 'asc' as const } } },
        },
      },
    },
    resolve: (order) =>
      order.offer
        ? { activities: order.offer.activities.map((link) => link.activity), venues: order.offer.venues.map((link) => link.venue) }
        : null,
  }),
}));
