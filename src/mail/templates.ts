import type { EmailTemplate } from '../services/notifications.js';

// The transactional emails (SPEC §8), French first and English. Each template builds a subject
// and a few paragraphs once; the text and HTML parts are both made from those paragraphs, so they
// cannot say different things. Pure: no I/O, everything comes from the outbox row's payload.

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderOptions {
  /** Base of links sent to members (PUBLIC_URL): relative links in payloads are resolved against it. */
  publicUrl: string;
  /** The sending organisation's name, when the email belongs to one (signs the message). */
  organizationName?: string | null;
  /** The organisation's time zone, for payloads that do not carry one (e.g. a renewal date). */
  timeZone?: string | null;
}

type Lang = 'fr' | 'en';

/** A run of text, or a link shown as its own address (readable in the text part too). */
type Segment = string | { href: string };
/** One paragraph: lines of segments (an address block is one paragraph of several lines). */
type Paragraph = Segment[][];

interface Draft {
  subject: string;
  paragraphs: Paragraph[];
}

type Payload = Record<string, unknown>;

interface Helpers {
  lang: Lang;
  options: RenderOptions;
  /** A date and time in the given zone: "samedi 28 mars 2026 à 10:00". */
  dateTime(iso: unknown, timeZone: string): string;
  /** A short date and time for subjects: "sam. 28 mars, 10:00". */
  shortDateTime(iso: unknown, timeZone: string): string;
  /** A date without time: "1 avril 2026". */
  date(iso: unknown, timeZone: string): string;
  money(cents: unknown, currency: unknown): string;
  link(url: unknown): Segment;
}

/** The session fields every booking and waitlist email carries (`sessionSummary` in bookings.ts). */
interface SessionFacts {
  activity: string;
  startsAt: string;
  timeZone: string;
  venue: { name: string; address: string; postalCode: string; city: string };
}

function sessionFacts(payload: Payload, fallbackZone: string | null | undefined): SessionFacts {
  const venue = (payload.venue ?? {}) as Record<string, unknown>;
  return {
    activity: str(payload.activity),
    startsAt: str(payload.startsAt),
    timeZone: str(payload.timeZone) || fallbackZone || 'UTC',
    venue: {
      name: str(venue.name),
      address: str(venue.address),
      postalCode: str(venue.postalCode),
      city: str(venue.city),
    },
  };
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** The session in one paragraph: what, when (local time), where. */
function sessionBlock(s: SessionFacts, h: Helpers): Paragraph {
  const lines: Segment[][] = [[s.activity], [capitalize(h.dateTime(s.startsAt, s.timeZone))], [s.venue.name], [s.venue.address]];
  const town = [s.venue.postalCode, s.venue.city].filter(Boolean).join(' ');
  if (town) lines.push([town]);
  return lines.filter((line) => line.some((segment) => segment !== ''));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const p = (...segments: Segment[]): Paragraph => [segments];

type Renderer = (payload: Payload, h: Helpers) => Draft;

// Typed by EmailTemplate: a template added there does not compile until it is rendered here.
const renderers: Record<EmailTemplate, Renderer> = {
  'booking-confirmed': (payload, h) => {
    const s = sessionFacts(payload, h.options.timeZone);
    const who = str(payload.beneficiary);
    return h.lang === 'fr'
      ? {
          subject: `Réservation confirmée : ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(who ? `La réservation de ${who} est confirmée.` : 'Votre réservation est confirmée.'),
            sessionBlock(s, h),
            p('À bientôt !'),
          ],
        }
      : {
          subject: `Booking confirmed: ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(who ? `${who}'s booking is confirmed.` : 'Your booking is confirmed.'),
            sessionBlock(s, h),
            p('See you soon!'),
          ],
        };
  },

  'booking-cancelled': (payload, h) => {
    const s = sessionFacts(payload, h.options.timeZone);
    const late = payload.late === true;
    const returned = payload.creditReturned === true;
    if (h.lang === 'fr') {
      const credit = returned
        ? 'Votre crédit vous a été rendu.'
        : late
          ? "L'annulation étant tardive, le crédit n'est pas rendu, conformément aux conditions d'annulation."
          : "Aucun crédit n'est rendu pour cette réservation.";
      return {
        subject: `Réservation annulée : ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
        paragraphs: [p('Votre réservation est annulée :'), sessionBlock(s, h), p(credit)],
      };
    }
    const credit = returned
      ? 'Your credit has been returned.'
      : late
        ? 'As this was a late cancellation, the credit is not returned, as set out in the cancellation terms.'
        : 'No credit is returned for this booking.';
    return {
      subject: `Booking cancelled: ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
      paragraphs: [p('Your booking has been cancelled:'), sessionBlock(s, h), p(credit)],
    };
  },

  'booking-rescheduled': (payload, h) => {
    const s = sessionFacts(payload, h.options.timeZone);
    const who = str(payload.beneficiary);
    return h.lang === 'fr'
      ? {
          subject: `Réservation déplacée : ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(who ? `La réservation de ${who} a été déplacée. Nouvelle séance :` : 'Votre réservation a été déplacée. Nouvelle séance :'),
            sessionBlock(s, h),
            p('Le crédit est conservé. À bientôt !'),
          ],
        }
      : {
          subject: `Booking moved: ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(who ? `${who}'s booking has been moved. New session:` : 'Your booking has been moved. New session:'),
            sessionBlock(s, h),
            p('The credit is kept. See you soon!'),
          ],
        };
  },

  'session-changed': (payload, h) => {
    const s = sessionFacts(payload, h.options.timeZone);
    const waiting = payload.waiting === true;
    const who = str(payload.beneficiary);
    const previous = str(payload.previousStartsAt);
    const coach = str(payload.coach);
    const moved = previous !== '' && previous !== s.startsAt;
    return h.lang === 'fr'
      ? {
          subject: `Séance modifiée : ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(
              "L'organisation a modifié une séance " +
                (waiting ? "pour laquelle vous êtes en liste d'attente" : 'pour laquelle vous avez réservé') +
                (who ? ` (${who})` : '') +
                '. Nouvelle séance :',
            ),
            sessionBlock(s, h),
            ...(coach ? [p(`Coach : ${coach}`)] : []),
            ...(moved ? [p(`Elle était prévue le ${h.dateTime(previous, s.timeZone)}.`)] : []),
            p(
              waiting
                ? "Vous restez en liste d'attente ; vous pouvez la quitter à tout moment, votre crédit vous sera rendu."
                : "Si elle ne vous convient plus, vous pouvez annuler sans perdre votre crédit (ni votre paiement) jusqu'au début de la séance, quel que soit le délai de prévenance.",
            ),
          ],
        }
      : {
          subject: `Session changed: ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p('The organisation has changed a session you ' + (waiting ? 'are on the waitlist for' : 'booked') + (who ? ` (${who})` : '') + '. New session:'),
            sessionBlock(s, h),
            ...(coach ? [p(`Coach: ${coach}`)] : []),
            ...(moved ? [p(`It was planned for ${h.dateTime(previous, s.timeZone)}.`)] : []),
            p(
              waiting
                ? 'You stay on the waitlist; you can leave it at any time and your credit will be released.'
                : 'If it no longer suits you, you can cancel without losing your credit (or your payment) until the session starts, whatever the notice period.',
            ),
          ],
        };
  },

  'session-cancelled': (payload, h) => {
    const s = sessionFacts(payload, h.options.timeZone);
    const reason = str(payload.reason);
    const returned = payload.creditReturned === true;
    return h.lang === 'fr'
      ? {
          subject: `Séance annulée : ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p("Nous sommes désolés : cette séance est annulée par l'organisation."),
            sessionBlock(s, h),
            ...(reason ? [p(`Motif : ${reason}`)] : []),
            p(returned ? 'Votre crédit vous a été rendu.' : 'Votre réservation est annulée.'),
          ],
        }
      : {
          subject: `Session cancelled: ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p("We're sorry: this session has been cancelled by the organisation."),
            sessionBlock(s, h),
            ...(reason ? [p(`Reason: ${reason}`)] : []),
            p(returned ? 'Your credit has been returned.' : 'Your booking is cancelled.'),
          ],
        };
  },

  'order-paid': (payload, h) => {
    const invoice = str(payload.invoiceNumber);
    const total = h.money(payload.totalCents, payload.currency);
    const offer = str(payload.offer);
    const bought = offer ? [[offer]] : [];
    return h.lang === 'fr'
      ? {
          subject: `Paiement reçu : facture n° ${invoice}`,
          paragraphs: [p('Merci ! Votre commande est payée.'), [...bought, [`Facture n° ${invoice}`], [`Total : ${total}`]]],
        }
      : {
          subject: `Payment received: invoice no. ${invoice}`,
          paragraphs: [p('Thank you! Your order is paid.'), [...bought, [`Invoice no. ${invoice}`], [`Total: ${total}`]]],
        };
  },

  'order-refunded': (payload, h) => {
    const amount = h.money(payload.amountCents, payload.currency);
    const invoice = payload.invoiceNumber === null || payload.invoiceNumber === undefined ? '' : str(payload.invoiceNumber);
    const credits = Number(payload.creditsTakenBack) || 0;
    const reason = str(payload.reason);
    const asNote = payload.as === 'CREDIT_NOTE';
    const zone = str(payload.timeZone) || h.options.timeZone || 'UTC';
    const until = asNote && payload.creditNoteExpiresAt ? h.date(payload.creditNoteExpiresAt, zone) : '';
    return h.lang === 'fr'
      ? {
          subject: invoice ? `Remboursement de ${amount} (facture n° ${invoice})` : `Remboursement de ${amount}`,
          paragraphs: [
            p(
              asNote
                ? `Nous vous avons remboursé ${amount} sous forme d'avoir${until ? `, utilisable jusqu'au ${until}` : ''} pour vos prochains achats.`
                : `Nous vous avons remboursé ${amount} sur le moyen de paiement utilisé (carte ou prélèvement : sous quelques jours sur votre relevé ; paiement à l'accueil : à l'accueil).`,
            ),
            ...(reason ? [p(`Motif : ${reason}`)] : []),
            ...(credits > 0 ? [p(credits === 1 ? 'Le crédit correspondant a été retiré de votre compte.' : `Les ${credits} crédits correspondants ont été retirés de votre compte.`)] : []),
          ],
        }
      : {
          subject: invoice ? `Refund of ${amount} (invoice no. ${invoice})` : `Refund of ${amount}`,
          paragraphs: [
            p(
              asNote
                ? `We have refunded ${amount} as a credit note${until ? `, usable until ${until}` : ''} for your next purchases.`
                : `We have refunded ${amount} to the payment method you used (card or direct debit: on your statement within a few days; desk payments: at the desk).`,
            ),
            ...(reason ? [p(`Reason: ${reason}`)] : []),
            ...(credits > 0 ? [p(credits === 1 ? 'The matching credit was removed from your account.' : `The ${credits} matching credits were removed from your account.`)] : []),
          ],
        };
  },

  'payment-link': (payload, h) => {
    const offer = str(payload.offer);
    const total = h.money(payload.totalCents, payload.currency);
    return h.lang === 'fr'
      ? {
          subject: 'Votre inscription est validée : vous pouvez régler votre commande',
          paragraphs: [
            p("Votre dossier d'inscription a été vérifié par le club : le paiement est débloqué."),
            [...(offer ? [[offer]] : []), [`Total : ${total} (TTC)`]],
            p('Régler en ligne : ', h.link(payload.payUrl)),
            p("Vous pouvez aussi régler à l'accueil (espèces, chèque, chèques-vacances, Pass'Sport…)."),
          ],
        }
      : {
          subject: 'Your registration is verified: you can pay your order',
          paragraphs: [
            p('The club has verified your registration: payment is unlocked.'),
            [...(offer ? [[offer]] : []), [`Total: ${total} (tax included)`]],
            p('Pay online: ', h.link(payload.payUrl)),
            p("You can also pay at the desk (cash, cheque, holiday vouchers, Pass'Sport…)."),
          ],
        };
  },

  'subscription-renewed': (payload, h) => {
    const zone = str(payload.timeZone) || h.options.timeZone || 'UTC';
    const start = h.date(payload.periodStart, zone);
    return h.lang === 'fr'
      ? {
          subject: 'Abonnement renouvelé',
          paragraphs: [
            p(`Votre abonnement a été renouvelé : une nouvelle période commence le ${start}.`),
            p('Les crédits de cette période sont disponibles pour vos réservations.'),
          ],
        }
      : {
          subject: 'Subscription renewed',
          paragraphs: [
            p(`Your subscription has been renewed: a new period starts on ${start}.`),
            p("This period's credits are ready for your bookings."),
          ],
        };
  },

  'closure-credit-note': (payload, h) => {
    const zone = str(payload.timeZone) || h.options.timeZone || 'UTC';
    const amount = h.money(payload.amountCents, payload.currency ?? 'EUR');
    const until = h.date(payload.expiresAt, zone);
    const venue = str(payload.venue);
    return h.lang === 'fr'
      ? {
          subject: `Fermeture définitive de ${venue} : votre avoir de ${amount}`,
          paragraphs: [
            p(`${venue} ferme définitivement. Vos crédits non utilisés sont convertis en un avoir de ${amount}, valable jusqu'au ${until}.`),
            p("Utilisez-le pour tout achat auprès de l'organisation. Au-delà de cette date, il est remboursable si aucun lieu de l'organisation n'est ouvert à moins de 15 km."),
          ],
        }
      : {
          subject: `${venue} is closing for good: your credit note of ${amount}`,
          paragraphs: [
            p(`${venue} is closing for good. Your unused credits are turned into a credit note of ${amount}, valid until ${until}.`),
            p("Use it for any purchase from the organisation. After that date it is refundable if no venue of the organisation is open within 15 km."),
          ],
        };
  },

  'subscription-suspended': (payload, h) => {
    const due = h.money(payload.amountDueCents, payload.currency);
    return h.lang === 'fr'
      ? {
          subject: 'Abonnement suspendu : paiement en attente',
          paragraphs: [
            p(`Le paiement de la période en cours de votre abonnement (${due}) n'a pas été reçu à la fin du délai de grâce.`),
            p('Les réservations avec cet abonnement sont suspendues jusqu’au règlement.'),
          ],
        }
      : {
          subject: 'Subscription suspended: payment due',
          paragraphs: [
            p(`The payment for your subscription's current period (${due}) was not received by the end of the grace period.`),
            p('Booking with this subscription is suspended until it is paid.'),
          ],
        };
  },

  'waitlist-offer': (payload, h) => {
    const s = sessionFacts(payload, h.options.timeZone);
    const who = str(payload.beneficiary);
    const until = h.dateTime(payload.expiresAt, s.timeZone);
    return h.lang === 'fr'
      ? {
          subject: `Une place s'est libérée : ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(who ? `Bonne nouvelle : une place s'est libérée pour ${who} !` : "Bonne nouvelle : une place s'est libérée !"),
            sessionBlock(s, h),
            p('Premier arrivé, premier servi : la place revient à la première personne qui la réserve.'),
            p('Réserver la place : ', h.link(payload.claimUrl)),
            p(`Offre valable jusqu'au ${until}.`),
          ],
        }
      : {
          subject: `A seat is free: ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(who ? `Good news: a seat has freed up for ${who}!` : 'Good news: a seat has freed up!'),
            sessionBlock(s, h),
            p('First come, first served: the seat goes to the first person to claim it.'),
            p('Claim the seat: ', h.link(payload.claimUrl)),
            p(`Offer open until ${until}.`),
          ],
        };
  },

  // Account emails. `link` is added by the sender from `passwordLinkId` (never stored).
  'account-created': (payload, h) => {
    const name = str(payload.firstName);
    const organization = str(payload.organization);
    const hasLink = Boolean(str(payload.link));
    const until = hasLink ? h.dateTime(payload.expiresAt, str(payload.timeZone) || 'Europe/Paris') : '';
    return h.lang === 'fr'
      ? {
          subject: organization ? `Votre compte chez ${organization}` : 'Bienvenue !',
          paragraphs: [
            p(name ? `Bonjour ${name},` : 'Bonjour,'),
            p(organization ? `${organization} vous a créé un compte pour réserver vos séances.` : 'Votre compte est créé : vous pouvez réserver vos séances.'),
            ...(hasLink
              ? [p('Créez votre mot de passe : ', h.link(payload.link)), p(`Ce lien est valable jusqu'au ${until}. Passé ce délai, utilisez « Mot de passe oublié ».`)]
              : []),
          ],
        }
      : {
          subject: organization ? `Your account at ${organization}` : 'Welcome!',
          paragraphs: [
            p(name ? `Hello ${name},` : 'Hello,'),
            p(organization ? `${organization} has created an account for you to book your classes.` : 'Your account is ready: you can book your classes.'),
            ...(hasLink
              ? [p('Create your password: ', h.link(payload.link)), p(`This link is valid until ${until}. After that, use "Forgot password".`)]
              : []),
          ],
        };
  },

  'password-reset': (payload, h) => {
    const until = h.dateTime(payload.expiresAt, str(payload.timeZone) || 'Europe/Paris');
    return h.lang === 'fr'
      ? {
          subject: 'Réinitialisation de votre mot de passe',
          paragraphs: [
            p('Vous avez demandé à changer votre mot de passe. Choisissez-en un nouveau ici : ', h.link(payload.link)),
            p(`Ce lien ne sert qu'une fois et expire le ${until}.`),
            p("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé."),
          ],
        }
      : {
          subject: 'Reset your password',
          paragraphs: [
            p('You asked to change your password. Choose a new one here: ', h.link(payload.link)),
            p(`This link works once and expires on ${until}.`),
            p('If you did not ask for this, ignore this message: your password stays as it is.'),
          ],
        };
  },

  'password-changed': (_payload, h) =>
    h.lang === 'fr'
      ? {
          subject: 'Votre mot de passe a été modifié',
          paragraphs: [
            p('Le mot de passe de votre compte vient d\'être modifié. Vos autres connexions ont été fermées.'),
            p("Si ce n'est pas vous, utilisez « Mot de passe oublié » sans attendre et prévenez votre club."),
          ],
        }
      : {
          subject: 'Your password was changed',
          paragraphs: [
            p('The password of your account has just been changed. Your other sign-ins have been closed.'),
            p('If this was not you, use "Forgot password" at once and tell your club.'),
          ],
        },

  'waitlist-closed': (payload, h) => {
    const s = sessionFacts(payload, h.options.timeZone);
    const cancelled = payload.reason === 'session-cancelled';
    return h.lang === 'fr'
      ? {
          subject: `Liste d'attente close : ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(
              cancelled
                ? "Cette séance est annulée par l'organisation : votre inscription en liste d'attente est close."
                : "Aucune place ne s'est libérée avant la clôture de la liste d'attente pour cette séance.",
            ),
            sessionBlock(s, h),
            p('Le crédit réservé pour cette séance a été libéré : il est de nouveau disponible.'),
          ],
        }
      : {
          subject: `Waitlist closed: ${s.activity}, ${h.shortDateTime(s.startsAt, s.timeZone)}`,
          paragraphs: [
            p(
              cancelled
                ? 'This session has been cancelled by the organisation: your waitlist entry is closed.'
                : 'No seat freed up before the waitlist for this session closed.',
            ),
            sessionBlock(s, h),
            p('The credit held for this session has been released: it is available again.'),
          ],
        };
  },
};

/** The template names this module renders (for tests and checks). */
export const RENDERABLE_TEMPLATES = Object.keys(renderers) as EmailTemplate[];

/**
 * Renders one outbox email. French unless the locale is English. An unknown template is a bug
 * (or a row queued by a newer version of the server): it throws, and the sender retries later.
 */
export function renderEmail(template: string, locale: string, payload: Payload, options: RenderOptions): RenderedEmail {
  if (!Object.hasOwn(renderers, template)) throw new Error(`unknown email template: ${template}`);
  const lang: Lang = locale.toLowerCase().startsWith('en') ? 'en' : 'fr';
  const draft = renderers[template as EmailTemplate](payload, helpers(lang, options));
  const signature = options.organizationName ? p(options.organizationName) : null;
  const paragraphs = signature ? [...draft.paragraphs, signature] : draft.paragraphs;
  return { subject: draft.subject, text: toText(paragraphs), html: toHtml(draft.subject, lang, paragraphs) };
}

// Building an Intl formatter costs far more than using one: each is made once per locale, style
// and time zone (a handful), not once per date of every email. Bounded all the same.
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function memoized<F extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => F): F {
  let formatter = formatters.get(key) as F | undefined;
  if (!formatter) {
    formatter = make();
    if (formatters.size >= 500) formatters.clear();
    formatters.set(key, formatter);
  }
  return formatter;
}

function dateTimeFormat(locale: string, style: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return memoized(`d|${locale}|${JSON.stringify(style)}`, () => new Intl.DateTimeFormat(locale, style));
}

function currencyFormat(locale: string, currency: string): Intl.NumberFormat {
  return memoized(`n|${locale}|${currency}`, () => new Intl.NumberFormat(locale, { style: 'currency', currency }));
}

function helpers(lang: Lang, options: RenderOptions): Helpers {
  const intlLocale = lang === 'fr' ? 'fr-FR' : 'en-GB';
  const instant = (iso: unknown): Date => {
    const date = new Date(str(iso));
    if (Number.isNaN(date.getTime())) throw new Error(`not an instant: ${str(iso)}`);
    return date;
  };
  // French writes the first of the month "1er" (Intl gives "1").
  const format = (style: Intl.DateTimeFormatOptions, iso: unknown): string =>
    dateTimeFormat(intlLocale, style)
      .formatToParts(instant(iso))
      .map((part) => (lang === 'fr' && part.type === 'day' && part.value === '1' ? '1er' : part.value))
      .join('');
  return {
    lang,
    options,
    dateTime: (iso, timeZone) => format({ dateStyle: 'full', timeStyle: 'short', timeZone }, iso),
    shortDateTime: (iso, timeZone) =>
      dateTimeFormat(intlLocale, {
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        hour: '2-digit',
        minute: '2-digit',
        timeZone,
      }).format(instant(iso)),
    date: (iso, timeZone) => format({ dateStyle: 'long', timeZone }, iso),
    money: (cents, currency) =>
      currencyFormat(intlLocale, str(currency).trim() || 'EUR').format(Number(cents) / 100),
    link: (url) => {
      if (!str(url)) throw new Error('a link is missing from the payload');
      return { href: new URL(str(url), options.publicUrl).toString() };
    },
  };
}

function toText(paragraphs: Paragraph[]): string {
  const line = (segments: Segment[]) => segments.map((s) => (typeof s === 'string' ? s : s.href)).join('');
  return `${paragraphs.map((paragraph) => paragraph.map(line).join('\n')).join('\n\n')}\n`;
}

function toHtml(subject: string, lang: Lang, paragraphs: Paragraph[]): string {
  const line = (segments: Segment[]) =>
    segments
      .map((s) => (typeof s === 'string' ? escapeHtml(s) : `<a href="${escapeHtml(s.href)}">${escapeHtml(s.href)}</a>`))
      .join('');
  const body = paragraphs.map((paragraph) => `<p>${paragraph.map(line).join('<br>\n')}</p>`).join('\n');
  return `<!doctype html>\n<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
