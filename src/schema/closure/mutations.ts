import { CreditNoteNotRefundableError, EarlyTerminationNotAllowedError, VenueAlreadyClosedError } from '../../domain/errors.js';
import { MAX_CLOSURE_DAYS, MAX_CLOSURE_SESSIONS, NEARBY_VENUE_RADIUS_KM } from '../../domain/closures.js';
import { closeVenue, refundCreditNote, terminateSubscriptionForMove } from '../../services/catalogue/closures.js';
import { bounds } from '../common/input-bounds.js';
import { decodeId } from '../common/ids.js';
import { defineMutation } from '../common/mutation.js';
import { SubscriptionRef } from '../credit/types.js';
import { CreditNoteRef } from '../order/types.js';
import { VenueClosureRef } from './types.js';

// Closures and the 15 km rules (SPEC §11; 004): staff only.

defineMutation('closeVenue', {
  description: `Staff close a venue from \`from\` through \`until\` (local days, at most ${MAX_CLOSURE_DAYS}), or for good from \`from\` on (\`definitive\`, no \`until\`). Every scheduled session there that has not started is cancelled exactly as \`cancelSession\` does (credits back, booked members emailed \`session-cancelled\`, waitlists closed and their holds released), at most ${MAX_CLOSURE_SESSIONS} in one closure, all in one transaction. The affected members are those with a booking, a late-cancelled credit or a waitlist place in those sessions, and those whose pack or pass can only be used at this venue. With \`extendValidity\`, their packs and passes still valid are extended by the closure's length in days (each extension recorded with its reason, \`Entitlement.extensions\`). A definitive closure instead gives each of them a credit note ("avoir", valid the organization's \`creditNoteValidityDays\`: one year) for what their unused credits were paid, and removes those credits (ledger FORFEIT, the lot REVOKED); it is refundable after that year only if no venue of the organization is open within ${NEARBY_VENUE_RADIUS_KM} km (\`refundCreditNote\`). Two temporary closures of one venue cannot overlap, and a venue closes for good once (VENUE_ALREADY_CLOSED). It starts today at the earliest.`,
  authScopes: { loggedIn: true },
  input: (t) => ({
    venueId: t.id({ required: true, description: 'The venue.' }),
    from: t.field({ type: 'Date', required: true, description: "First closed day, in the organization's time zone (today at the earliest)." }),
    until: t.field({ type: 'Date', required: false, description: 'Last closed day (inclusive). Required for a temporary closure; omitted for a definitive one.' }),
    reason: t.string({ required: true, description: 'Told to the members (e.g. “vidange annuelle”; 500 characters at most).', ...bounds({ multiline: true }) }),
    extendValidity: t.boolean({
      required: false,
      description: 'Extend the affected packs and passes by the closure’s length (temporary closures only; default false).',
    }),
    definitive: t.boolean({ required: false, description: 'Closed for good (default false): credit notes instead of extensions.' }),
  }),
  errors: [VenueAlreadyClosedError],
  resolve: async (input, context) => {
    const result = await closeVenue(context, {
      venueId: decodeId(input.venueId, 'Venue', 'venueId'),
      from: input.from,
      until: input.until ?? null,
      reason: input.reason,
      extendValidity: input.extendValidity ?? false,
      definitive: input.definitive ?? false,
    });
    return result;
  },
  success: {
    description: 'The venue is closed over the range and its sessions there cancelled.',
    fields: (t) => ({
      sessionsCancelled: t.int({ description: 'Sessions cancelled.', resolve: (r) => r.sessionsCancelled }),
      closure: t.field({ type: VenueClosureRef, description: 'The closure as recorded.', resolve: (r) => r.closure }),
      entitlementsExtended: t.int({ description: 'Packs and passes extended by the closure’s length.', resolve: (r) => r.entitlementsExtended }),
      creditNotes: t.field({
        type: [CreditNoteRef],
        description: 'Credit notes issued (definitive closure), one per affected member with paid unused credits.',
        resolve: (r) => r.creditNotes,
      }),
    }),
  },
});

defineMutation('refundCreditNote', {
  description: `Staff pay back what is left of a definitive closure's credit note (004: "remboursable au-delà de cette période si aucune piscine n'a rouvert dans un rayon de 15 kilomètres"): only once it has expired, once, and only when no venue of the organization open now lies within ${NEARBY_VENUE_RADIUS_KM} km (great-circle distance) of the closed one; otherwise CREDIT_NOTE_NOT_REFUNDABLE, whose message names the nearest such venue and its distance. The money goes back outside the API (bank transfer, cheque): \`reference\` records how. The note's remaining amount becomes zero.`,
  authScopes: { loggedIn: true },
  input: (t) => ({
    creditNoteId: t.id({ required: true, description: 'The credit note.' }),
    reference: t.string({ required: false, description: 'How it was paid back: transfer reference, cheque number (200 characters at most).' }),
  }),
  errors: [CreditNoteNotRefundableError],
  resolve: async (input, context) =>
    refundCreditNote(context, { creditNoteId: decodeId(input.creditNoteId, 'CreditNote', 'creditNoteId'), reference: input.reference }),
  success: {
    description: 'The credit note is refunded.',
    fields: (t) => ({
      creditNote: t.field({ type: CreditNoteRef, description: 'The credit note, with nothing left and `refundedAt` set.', resolve: (r) => r.creditNote }),
      refundedCents: t.int({ description: 'Amount paid back, in cents of the organization’s currency.', resolve: (r) => r.refund.amountCents }),
    }),
  },
});

defineMutation('terminateSubscriptionForMove', {
  description: `Staff end a member's subscription early on a move (004: "en cas de déménagement, un contrat d'abonnement pourra être résilié de manière anticipée avec preuve … si la ou les piscines du réseau ne sont pas accessibles dans un rayon de 15 kilomètres"), after checking the proof (employer's certificate, lease): allowed when no venue of the organization open now lies within ${NEARBY_VENUE_RADIUS_KM} km (great-circle distance) of the new address, given as coordinates. The subscription then ends at its next billing date whatever the notice rule and the commitment (the period under way was started, so it stays due, and its credits stay usable until then); an earlier end already set stays. Otherwise EARLY_TERMINATION_NOT_ALLOWED, whose message names the nearest venue and its distance: \`terminateSubscription\` with the usual notice still applies. Recorded once per subscription.`,
  authScopes: { loggedIn: true },
  input: (t) => ({
    subscriptionId: t.id({ required: true, description: 'The subscription (MemberSubscription).' }),
    latitude: t.float({ required: true, description: 'WGS 84 latitude of the new address (-90 to 90).' }),
    longitude: t.float({ required: true, description: 'WGS 84 longitude of the new address (-180 to 180).' }),
    proof: t.string({
      required: true,
      description: 'What proved the move, as staff checked it (e.g. “bail du 1er mars, Lyon”; 500 characters at most).',
      ...bounds({ multiline: true }),
    }),
  }),
  errors: [EarlyTerminationNotAllowedError],
  resolve: async (input, context) =>
    terminateSubscriptionForMove(context, {
      subscriptionId: decodeId(input.subscriptionId, 'MemberSubscription', 'subscriptionId'),
      latitude: input.latitude,
      longitude: input.longitude,
      proof: input.proof,
    }),
  success: {
    description: 'The subscription ends at `endsAt`.',
    fields: (t) => ({
      subscription: t.field({ type: SubscriptionRef, description: 'The subscription, with its new `endsAt`.', resolve: (r) => r.subscription }),
      nearestVenueKm: t.float({
        nullable: true,
        description: 'Distance from the new address to the nearest open venue, in km (one decimal); null when the organization has none.',
        resolve: (r) => r.nearestVenueKm,
      }),
    }),
  },
});
