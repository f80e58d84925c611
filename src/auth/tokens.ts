import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'class-booking-api';
let key: Uint8Array | undefined;
let ttlSeconds = 60 * 60 * 24 * 30;

/** Sets the signing secret (HS256) and token lifetime; called once at start. */
export function configureTokens(secret: string, ttl: number): void {
  key = new TextEncoder().encode(secret);
  ttlSeconds = ttl;
  verifiedLogins.clear();
}

function signingKey(): Uint8Array {
  if (!key) throw new Error('configureTokens() was not called');
  return key;
}

/**
 * A login token: it names the member (`sub`) and the stored login (`sid`, an AuthSession row), so
 * that it can be revoked. Its expiry is the row's.
 */
export async function signToken(memberId: string, sessionId: string, issuedAt: Date, expiresAt: Date): Promise<string> {
  return new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(memberId)
    .setIssuer(ISSUER)
    .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(signingKey());
}

/** How long a new login lasts (TOKEN_TTL_SECONDS). */
export function tokenLifetimeSeconds(): number {
  return ttlSeconds;
}

/**
 * The member and login a token names, when its signature holds and it has not expired at `now`
 * (the injected clock's, so the test clock can expire it); null otherwise. Whether the login was
 * revoked is the database's to say (see services/member/auth-sessions.ts).
 */
export async function readLoginToken(token: string, now: Date): Promise<{ memberId: string; sessionId: string } | null> {
  const known = verifiedLogins.get(token);
  if (known) {
    if (now.getTime() < known.expiresAtMs) return { memberId: known.memberId, sessionId: known.sessionId };
    verifiedLogins.delete(token);
    return null;
  }
  try {
    const { payload } = await jwtVerify(token, signingKey(), { issuer: ISSUER, algorithms: ['HS256'], currentDate: now });
    const sessionId = payload.sid;
    if (!payload.sub || typeof sessionId !== 'string' || typeof payload.exp !== 'number') return null;
    rememberLogin(token, { memberId: payload.sub, sessionId, expiresAtMs: payload.exp * 1000 });
    return { memberId: payload.sub, sessionId };
  } catch (error) {
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}

/**
 * Login tokens whose signature was verified, until their expiry: a member's requests verify their
 * token once, not on every request (HMAC through WebCrypto is a thread-pool round trip). A token's
 * signature never changes, so only its expiry is checked again; revocation stays the database's
 * (the login row is read on every request). Bounded: the oldest entries go first.
 */
const MAX_VERIFIED_LOGINS = 10_000;
const verifiedLogins = new Map<string, { memberId: string; sessionId: string; expiresAtMs: number }>();

function rememberLogin(token: string, login: { memberId: string; sessionId: string; expiresAtMs: number }): void {
  if (verifiedLogins.size >= MAX_VERIFIED_LOGINS) verifiedLogins.delete(verifiedLogins.keys().next().value!);
  verifiedLogins.set(token, login);
}

/** Extracts the token from `Bearer <token>` (header or graphql-ws connectionParams). */
export function bearer(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1] ?? null;
}

// Invoice links (SPEC §7) work from an email without a login: the token signs one order's id with
// the same secret, under its own issuer, so that it is never accepted as a login token (nor a
// login token as an invoice one).
const INVOICE_ISSUER = 'class-booking-api/invoice';

/** A token for one order's invoice; `issuedAt` (its payment time) keeps the link stable. */
export async function signInvoiceToken(orderId: string, issuedAt: Date): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(orderId)
    .setIssuer(INVOICE_ISSUER)
    .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
    .sign(signingKey());
}

/** Whether `token` is a valid invoice token for exactly this order. */
export async function verifyInvoiceToken(token: string, orderId: string): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, signingKey(), { issuer: INVOICE_ISSUER, algorithms: ['HS256'], subject: orderId });
    return payload.sub === orderId;
  } catch (error) {
    if (error instanceof errors.JOSEError) return false;
    throw error;
  }
}

// Password links ("Mot de passe oublié", "Créer le mot de passe"). The token is an HMAC of the
// link's random id under the signing secret: the database keeps only its SHA-256 (and the id), and
// the outbox row only the id, so neither a database dump nor a queued email row holds a usable
// token; the sender recomputes it when it writes the email.
const PASSWORD_LINK_CONTEXT = 'class-booking-api/password-link:';

/** The token of a password link, from its id (a random UUID). */
export function passwordLinkToken(linkId: string): string {
  return createHmac('sha256', signingKey()).update(PASSWORD_LINK_CONTEXT + linkId).digest('base64url');
}

/** What the database stores of a password link's token. */
export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// A personal-data export link (SPEC §10) signs the member's id under its own issuer, for one hour
// of the injected clock: it opens that member's JSON export only, and is never a login token.
const EXPORT_ISSUER = 'class-booking-api/personal-data-export';
export const EXPORT_LINK_TTL_SECONDS = 60 * 60;

/** A token for the member's export, valid `EXPORT_LINK_TTL_SECONDS` from `issuedAt`; answers its expiry too. */
export async function signExportToken(memberId: string, issuedAt: Date): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const exp = iat + EXPORT_LINK_TTL_SECONDS;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(memberId)
    .setIssuer(EXPORT_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(signingKey());
  return { token, expiresAt: new Date(exp * 1000) };
}

/** The member an export token names, when its signature holds and it has not expired at `now`; null otherwise. */
export async function readExportToken(token: string, now: Date): Promise<string | null> {
  try {
    const { payload } = await jwtVerify(token, signingKey(), { issuer: EXPORT_ISSUER, algorithms: ['HS256'], currentDate: now });
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch (error) {
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}

// A CSV export link (SPEC §11, issue 12) signs what the staff member asked for (organisation, kind,
// period) and who asked, under its own issuer, for a few minutes of the injected clock: the
// accountant's download works without a login, but only that export, and not for long.
const CSV_EXPORT_ISSUER = 'class-booking-api/csv-export';
export const CSV_EXPORT_LINK_TTL_SECONDS = 10 * 60;

export interface CsvExportGrant {
  organizationId: string;
  kind: string;
  /** Local dates, YYYY-MM-DD. */
  from: string;
  to: string;
  /** The staff member who made the link: still staff when it is used, or refused. */
  staffId: string;
}

/** A token for one export, valid `CSV_EXPORT_LINK_TTL_SECONDS` from `issuedAt`; answers its expiry too. */
export async function signCsvExportToken(grant: CsvExportGrant, issuedAt: Date): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const exp = iat + CSV_EXPORT_LINK_TTL_SECONDS;
  const token = await new SignJWT({ kind: grant.kind, from: grant.from, to: grant.to, by: grant.staffId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(grant.organizationId)
    .setIssuer(CSV_EXPORT_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(signingKey());
  return { token, expiresAt: new Date(exp * 1000) };
}

/** What an export token grants, 'expired' past its expiry at `now`, or null when it is not one (forged, altered, another kind of token). */
export async function readCsvExportToken(token: string, now: Date): Promise<CsvExportGrant | 'expired' | null> {
  try {
    const { payload } = await jwtVerify(token, signingKey(), { issuer: CSV_EXPORT_ISSUER, algorithms: ['HS256'], currentDate: now });
    const { sub, kind, from, to, by } = payload;
    if (typeof sub !== 'string' || typeof kind !== 'string' || typeof from !== 'string' || typeof to !== 'string' || typeof by !== 'string') {
      return null;
    }
    return { organizationId: sub, kind, from, to, staffId: by };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return 'expired';
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}

// A member's calendar feed (issue 14): calendar apps fetch it without a login, so its URL is the
// secret. It names the feed's random id (Member.calendarFeedId) and carries an HMAC of that id under
// the signing secret: the database holds only the id, so a dump of it rebuilds no URL, and
// `resetCalendarUrl` replaces the id, so the old URL stops working.
const CALENDAR_FEED_CONTEXT = 'class-booking-api/calendar-feed:';

/** The signature part of a member's calendar URL, from the feed's id. */
export function calendarFeedSignature(feedId: string): string {
  return createHmac('sha256', signingKey()).update(CALENDAR_FEED_CONTEXT + feedId.toLowerCase()).digest('base64url');
}

/** Whether `signature` is the one of this feed id (compared in constant time). */
export function verifyCalendarFeedSignature(feedId: string, signature: string): boolean {
  const expected = Buffer.from(calendarFeedSignature(feedId));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
