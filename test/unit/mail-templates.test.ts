import { describe, expect, it } from 'vitest';
import { RENDERABLE_TEMPLATES, renderEmail } from '../../src/mail/templates.js';

// The outbox emails (SPEC §8): every template in French and English carries its key facts, dates
// are the session's local time (across the 29 March 2026 change to summer time in Paris), and the
// HTML part escapes what members and staff typed.

const options = { publicUrl: 'https://book.example.org' };

/** Intl puts no-break spaces in French dates and amounts; compare with plain spaces. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

const venue = { name: 'Piscine Jean Bouin', address: '12 rue des Lilas', city: 'Paris', postalCode: '75012' };
/** Sunday 29 March 2026, 10:30 in Paris, the first morning of summer time (UTC+2). */
const summer = { sessionId: 's1', activity: 'Bébés nageurs', startsAt: '2026-03-29T08:30:00.000Z', timeZone: 'Europe/Paris', venue };
/** Saturday 28 March 2026, 10:30 in Paris, still winter time (UTC+1). */
const winter = { ...summer, startsAt: '2026-03-28T09:30:00.000Z' };

interface Case {
  template: string;
  payload: Record<string, unknown>;
  renderOptions?: { organizationName?: string; timeZone?: string };
  fr: { subject: string; facts: string[] };
  en: { subject: string; facts: string[] };
}

const cases: Case[] = [
  {
    template: 'booking-confirmed',
    payload: { bookingId: 'b1', beneficiary: 'Léa', ...summer },
    fr: {
      subject: 'Réservation confirmée : Bébés nageurs, dim. 29 mars, 10:30',
      facts: ['Léa', 'Dimanche 29 mars 2026 à 10:30', 'Piscine Jean Bouin', '12 rue des Lilas', '75012 Paris'],
    },
    en: {
      subject: 'Booking confirmed: Bébés nageurs, Sun 29 Mar, 10:30',
      facts: ["Léa's booking is confirmed", 'Sunday, 29 March 2026 at 10:30', 'Piscine Jean Bouin', '12 rue des Lilas', '75012 Paris'],
    },
  },
  {
    template: 'booking-confirmed',
    payload: { bookingId: 'b1', beneficiary: 'Léa', ...winter },
    fr: { subject: 'Réservation confirmée : Bébés nageurs, sam. 28 mars, 10:30', facts: ['Samedi 28 mars 2026 à 10:30'] },
    en: { subject: 'Booking confirmed: Bébés nageurs, Sat 28 Mar, 10:30', facts: ['Saturday, 28 March 2026 at 10:30'] },
  },
  {
    template: 'booking-cancelled',
    payload: { bookingId: 'b1', late: false, creditReturned: true, ...summer },
    fr: { subject: 'Réservation annulée : Bébés nageurs, dim. 29 mars, 10:30', facts: ['Votre crédit vous a été rendu.', '12 rue des Lilas'] },
    en: { subject: 'Booking cancelled: Bébés nageurs, Sun 29 Mar, 10:30', facts: ['Your credit has been returned.', '12 rue des Lilas'] },
  },
  {
    template: 'booking-cancelled',
    payload: { bookingId: 'b1', late: true, creditReturned: false, ...summer },
    fr: { subject: 'Réservation annulée : Bébés nageurs, dim. 29 mars, 10:30', facts: ["L'annulation étant tardive, le crédit n'est pas rendu"] },
    en: { subject: 'Booking cancelled: Bébés nageurs, Sun 29 Mar, 10:30', facts: ['late cancellation, the credit is not returned'] },
  },
  {
    template: 'booking-rescheduled',
    payload: { bookingId: 'b2', previousSessionId: 's0', beneficiary: 'Léa', ...summer },
    fr: { subject: 'Réservation déplacée : Bébés nageurs, dim. 29 mars, 10:30', facts: ['La réservation de Léa a été déplacée', 'Le crédit est conservé', '75012 Paris'] },
    en: { subject: 'Booking moved: Bébés nageurs, Sun 29 Mar, 10:30', facts: ["Léa's booking has been moved", 'The credit is kept', '75012 Paris'] },
  },
  {
    template: 'session-cancelled',
    payload: { bookingId: 'b1', reason: 'Bassin fermé', creditReturned: true, ...summer },
    fr: { subject: 'Séance annulée : Bébés nageurs, dim. 29 mars, 10:30', facts: ['Motif : Bassin fermé', 'Votre crédit vous a été rendu.'] },
    en: { subject: 'Session cancelled: Bébés nageurs, Sun 29 Mar, 10:30', facts: ['Reason: Bassin fermé', 'Your credit has been returned.'] },
  },
  {
    template: 'session-changed',
    payload: { bookingId: 'b1', beneficiary: 'Léa', waiting: false, previousStartsAt: winter.startsAt, coach: 'Marc', changes: ['time', 'coach'], ...summer },
    fr: {
      subject: 'Séance modifiée : Bébés nageurs, dim. 29 mars, 10:30',
      facts: ['pour laquelle vous avez réservé (Léa)', 'Dimanche 29 mars 2026 à 10:30', 'Coach : Marc', 'Elle était prévue le samedi 28 mars 2026 à 10:30', 'vous pouvez annuler sans perdre votre crédit'],
    },
    en: {
      subject: 'Session changed: Bébés nageurs, Sun 29 Mar, 10:30',
      facts: ['a session you booked (Léa)', 'Sunday, 29 March 2026 at 10:30', 'Coach: Marc', 'It was planned for Saturday, 28 March 2026 at 10:30', 'you can cancel without losing your credit'],
    },
  },
  {
    template: 'session-changed',
    payload: { waitlistEntryId: 'w1', beneficiary: 'Léa', waiting: true, previousStartsAt: summer.startsAt, coach: null, changes: ['venue'], ...summer },
    fr: { subject: 'Séance modifiée : Bébés nageurs, dim. 29 mars, 10:30', facts: ["pour laquelle vous êtes en liste d'attente (Léa)", 'Piscine Jean Bouin', "Vous restez en liste d'attente"] },
    en: { subject: 'Session changed: Bébés nageurs, Sun 29 Mar, 10:30', facts: ['you are on the waitlist for (Léa)', 'Piscine Jean Bouin', 'You stay on the waitlist'] },
  },
  {
    template: 'order-paid',
    payload: { orderId: 'o1', invoiceNumber: 42, totalCents: 12_550, currency: 'EUR', offer: 'Carnet 10 séances' },
    fr: { subject: 'Paiement reçu : facture n° 42', facts: ['Carnet 10 séances', 'Facture n° 42', 'Total : 125,50 €'] },
    en: { subject: 'Payment received: invoice no. 42', facts: ['Carnet 10 séances', 'Invoice no. 42', 'Total: €125.50'] },
  },
  {
    template: 'order-refunded',
    payload: {
      orderId: 'o4', invoiceNumber: 43, amountCents: 3_400, currency: 'EUR', as: 'ORIGINAL_METHOD', reason: 'Prix affiché par erreur',
      creditsTakenBack: 2, creditNoteExpiresAt: null, timeZone: 'Europe/Paris', methods: ['CARD'],
    },
    fr: {
      subject: 'Remboursement de 34,00 € (facture n° 43)',
      facts: ['Nous vous avons remboursé 34,00 € sur le moyen de paiement utilisé', 'Motif : Prix affiché par erreur', 'Les 2 crédits correspondants ont été retirés'],
    },
    en: {
      subject: 'Refund of €34.00 (invoice no. 43)',
      facts: ['We have refunded €34.00 to the payment method you used', 'Reason: Prix affiché par erreur', 'The 2 matching credits were removed'],
    },
  },
  {
    template: 'order-refunded',
    // 004: a promotional purchase, compensated by a credit note valid one year (to 2 Dec 2027, Paris).
    payload: {
      orderId: 'o5', invoiceNumber: 44, amountCents: 8_000, currency: 'EUR', as: 'CREDIT_NOTE', reason: '',
      creditsTakenBack: 1, creditNoteExpiresAt: '2027-12-01T23:30:00.000Z', timeZone: 'Europe/Paris', methods: ['CASH'],
    },
    fr: { subject: 'Remboursement de 80,00 € (facture n° 44)', facts: ["sous forme d'avoir, utilisable jusqu'au 2 décembre 2027", 'Le crédit correspondant a été retiré'] },
    en: { subject: 'Refund of €80.00 (invoice no. 44)', facts: ['as a credit note, usable until 2 December 2027', 'The matching credit was removed'] },
  },
  {
    template: 'payment-link',
    payload: { orderId: 'o3', offer: 'Pack 10 séances', totalCents: 17_000, currency: 'EUR', payUrl: 'https://booking.example/orders/T3JkZXI6bzM%3D/pay' },
    fr: {
      subject: 'Votre inscription est validée : vous pouvez régler votre commande',
      facts: ['Pack 10 séances', 'Total : 170,00 € (TTC)', 'Régler en ligne', 'https://booking.example/orders/T3JkZXI6bzM%3D/pay'],
    },
    en: {
      subject: 'Your registration is verified: you can pay your order',
      facts: ['Pack 10 séances', 'Total: €170.00 (tax included)', 'Pay online', 'https://booking.example/orders/T3JkZXI6bzM%3D/pay'],
    },
  },
  {
    template: 'subscription-renewed',
    // Midnight on 1 April in Paris is still 31 March in UTC: the organisation's zone decides.
    payload: { subscriptionId: 'sub1', periodIndex: 1, periodStart: '2026-03-31T22:00:00.000Z', orderId: 'o2' },
    renderOptions: { timeZone: 'Europe/Paris' },
    fr: { subject: 'Abonnement renouvelé', facts: ['une nouvelle période commence le 1er avril 2026'] },
    en: { subject: 'Subscription renewed', facts: ['a new period starts on 1 April 2026'] },
  },
  {
    template: 'subscription-suspended',
    payload: { subscriptionId: 'sub1', orderId: 'o2', amountDueCents: 6000, currency: 'EUR' },
    fr: { subject: 'Abonnement suspendu : paiement en attente', facts: ['60,00 €', 'suspendues'] },
    en: { subject: 'Subscription suspended: payment due', facts: ['€60.00', 'suspended'] },
  },
  {
    template: 'waitlist-offer',
    payload: {
      offerId: 'wo1',
      claimUrl: 'https://book.example.org/waitlist-offers/wo1',
      expiresAt: '2026-03-28T20:30:00.000Z',
      beneficiary: 'Léa',
      ...summer,
    },
    fr: {
      subject: "Une place s'est libérée : Bébés nageurs, dim. 29 mars, 10:30",
      facts: ['Léa', 'Premier arrivé, premier servi', 'https://book.example.org/waitlist-offers/wo1', "Offre valable jusqu'au samedi 28 mars 2026 à 21:30", '12 rue des Lilas'],
    },
    en: {
      subject: 'A seat is free: Bébés nageurs, Sun 29 Mar, 10:30',
      facts: ['Léa', 'First come, first served', 'https://book.example.org/waitlist-offers/wo1', 'Offer open until Saturday, 28 March 2026 at 21:30'],
    },
  },
  {
    template: 'waitlist-closed',
    payload: { waitlistEntryId: 'w1', reason: 'deadline', ...summer },
    fr: { subject: "Liste d'attente close : Bébés nageurs, dim. 29 mars, 10:30", facts: ["Aucune place ne s'est libérée", 'Le crédit réservé pour cette séance a été libéré'] },
    en: { subject: 'Waitlist closed: Bébés nageurs, Sun 29 Mar, 10:30', facts: ['No seat freed up', 'The credit held for this session has been released'] },
  },
  {
    template: 'waitlist-closed',
    payload: { waitlistEntryId: 'w1', reason: 'session-cancelled', ...summer },
    fr: { subject: "Liste d'attente close : Bébés nageurs, dim. 29 mars, 10:30", facts: ["Cette séance est annulée par l'organisation", 'a été libéré'] },
    en: { subject: 'Waitlist closed: Bébés nageurs, Sun 29 Mar, 10:30', facts: ['This session has been cancelled by the organisation', 'has been released'] },
  },
  {
    // Made by staff: the link (added by the sender) sets the first password; its end in local time.
    template: 'account-created',
    payload: { firstName: 'Léa', organization: 'Aquababyclub', link: 'https://book.example.org/reset-password?token=abc', expiresAt: '2026-03-29T08:30:00.000Z', timeZone: 'Europe/Paris' },
    fr: {
      subject: 'Votre compte chez Aquababyclub',
      facts: ['Bonjour Léa,', 'Aquababyclub vous a créé un compte', 'Créez votre mot de passe', 'https://book.example.org/reset-password?token=abc', 'dimanche 29 mars 2026 à 10:30'],
    },
    en: {
      subject: 'Your account at Aquababyclub',
      facts: ['Hello Léa,', 'Aquababyclub has created an account for you', 'Create your password', 'https://book.example.org/reset-password?token=abc', 'Sunday, 29 March 2026 at 10:30'],
    },
  },
  {
    // The welcome of signUp: no link.
    template: 'account-created',
    payload: { firstName: 'Léa' },
    fr: { subject: 'Bienvenue !', facts: ['Bonjour Léa,', 'Votre compte est créé'] },
    en: { subject: 'Welcome!', facts: ['Hello Léa,', 'Your account is ready'] },
  },
  {
    template: 'password-reset',
    payload: { link: 'https://book.example.org/reset-password?token=xyz', expiresAt: '2026-03-28T09:30:00.000Z', timeZone: 'Europe/Paris' },
    fr: {
      subject: 'Réinitialisation de votre mot de passe',
      facts: ['https://book.example.org/reset-password?token=xyz', "Ce lien ne sert qu'une fois et expire le samedi 28 mars 2026 à 10:30", 'ignorez ce message'],
    },
    en: {
      subject: 'Reset your password',
      facts: ['https://book.example.org/reset-password?token=xyz', 'This link works once and expires on Saturday, 28 March 2026 at 10:30', 'ignore this message'],
    },
  },
  {
    template: 'closure-credit-note',
    payload: { venue: 'Piscine Pailleron', amountCents: 4500, currency: 'EUR', expiresAt: '2027-03-28T09:00:00.000Z', timeZone: 'Europe/Paris' },
    fr: {
      subject: 'Fermeture définitive de Piscine Pailleron : votre avoir de 45,00 €',
      facts: ["valable jusqu'au 28 mars 2027", 'moins de 15 km'],
    },
    en: {
      subject: 'Piscine Pailleron is closing for good: your credit note of €45.00',
      facts: ['valid until 28 March 2027', 'within 15 km'],
    },
  },
  {
    template: 'password-changed',
    payload: {},
    fr: { subject: 'Votre mot de passe a été modifié', facts: ['Vos autres connexions ont été fermées', 'Mot de passe oublié'] },
    en: { subject: 'Your password was changed', facts: ['Your other sign-ins have been closed', 'Forgot password'] },
  },
];

describe('renderEmail', () => {
  it('has a case for every template', () => {
    expect(new Set(cases.map((c) => c.template))).toEqual(new Set(RENDERABLE_TEMPLATES));
  });

  describe.each(cases)('$template', ({ template, payload, renderOptions, fr, en }) => {
    it.each([
      ['fr', fr],
      ['en', en],
    ] as const)('in %s: subject and key facts in both parts', (locale, expected) => {
      const email = renderEmail(template, locale, payload, { ...options, ...renderOptions });
      expect(plain(email.subject)).toBe(expected.subject);
      for (const fact of expected.facts) {
        expect(plain(email.text)).toContain(fact);
        // The HTML part says the same, escaped.
        expect(plain(email.html)).toContain(fact.replace(/&/g, '&amp;').replace(/'/g, '&#39;'));
      }
      expect(email.html).toContain(`<html lang="${locale}">`);
    });
  });

  it('is French unless the locale is English', () => {
    const payload = cases[0]!.payload;
    expect(renderEmail('booking-confirmed', 'de', payload, options).subject).toMatch(/^Réservation confirmée/);
    expect(renderEmail('booking-confirmed', '', payload, options).subject).toMatch(/^Réservation confirmée/);
    expect(renderEmail('booking-confirmed', 'en-GB', payload, options).subject).toMatch(/^Booking confirmed/);
  });

  it('uses the session time zone, not the server one', () => {
    const email = renderEmail('booking-confirmed', 'en', { ...summer, timeZone: 'America/New_York' }, options);
    // 08:30 UTC on 29 March is 04:30 in New York (summer time there since 8 March).
    expect(plain(email.text)).toContain('Sunday, 29 March 2026 at 04:30');
  });

  it('links the claim page as a real link, resolving a relative one against PUBLIC_URL', () => {
    const email = renderEmail('waitlist-offer', 'fr', { ...cases.find((c) => c.template === 'waitlist-offer')!.payload, claimUrl: '/waitlist-offers/wo1?a=1&b=2' }, options);
    expect(email.text).toContain('https://book.example.org/waitlist-offers/wo1?a=1&b=2');
    expect(email.html).toContain('<a href="https://book.example.org/waitlist-offers/wo1?a=1&amp;b=2">');
    expect(() => renderEmail('waitlist-offer', 'fr', { ...summer, expiresAt: summer.startsAt }, options)).toThrow(/link/);
  });

  it('escapes HTML in the html part only', () => {
    const hostile = { ...summer, activity: 'Aqua <b>"fun"</b> & co', venue: { ...venue, name: `<script>alert('x')</script>` } };
    const email = renderEmail('session-cancelled', 'fr', { ...hostile, reason: '<img src=x onerror=alert(1)>', creditReturned: true }, {
      ...options,
      organizationName: 'Club <Nage> & Co',
    });
    expect(email.html).not.toMatch(/<script|<img|<b>|<Nage>/);
    expect(email.html).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    expect(email.html).toContain('Aqua &lt;b&gt;&quot;fun&quot;&lt;/b&gt; &amp; co');
    expect(email.html).toContain('Motif : &lt;img src=x onerror=alert(1)&gt;');
    expect(email.html).toContain('Club &lt;Nage&gt; &amp; Co');
    expect(email.html).toContain('<title>Séance annulée : Aqua &lt;b&gt;');
    // Plain text and the subject are not HTML: they keep the characters as typed.
    expect(email.text).toContain(`<script>alert('x')</script>`);
    expect(email.subject).toContain('Aqua <b>"fun"</b> & co');
  });

  it('signs with the organisation name when there is one', () => {
    const email = renderEmail('order-paid', 'fr', cases.find((c) => c.template === 'order-paid')!.payload, { ...options, organizationName: 'Aquakids' });
    expect(email.text.trimEnd().endsWith('Aquakids')).toBe(true);
  });

  it('throws on an unknown template (a bug, or a row queued by a newer server)', () => {
    expect(() => renderEmail('no-such-template', 'fr', {}, options)).toThrow(/unknown email template: no-such-template/);
    expect(() => renderEmail('toString', 'fr', {}, options)).toThrow(/unknown email template/);
  });
});
