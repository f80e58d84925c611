import type { MessageKey, MessageParams } from '../i18n/messages.js';

// Hard bounds every input obeys, whatever the field means. Fields that mean something have
// tighter limits in their own validators (a name 100, a description 2000…); these are the safety
// net for the fields nobody thought about, and they are checked before any per-item work.

/** No string input is longer than this, however free its text. */
export const MAX_STRING_LENGTH = 10_000;
/** Global IDs are about 60 characters; anything much longer names nothing. */
export const MAX_ID_LENGTH = 200;
/** A list in an input that declares no bound of its own. */
export const DEFAULT_MAX_ITEMS = 1_000;

/** `nodes(ids:)`. */
export const MAX_NODE_IDS = 100;
/** `SessionFilter.ids`: a screen's worth of sessions. */
export const MAX_SESSION_FILTER_IDS = 200;
/** `createOffer.activityIds` / `venueIds`: what one organisation runs. */
export const MAX_OFFER_ACTIVITIES = 100;
export const MAX_OFFER_VENUES = 100;

/** Free-text bounds of the fields that mean something. */
export const MAX_NAME_LENGTH = 100;
export const MAX_POSTAL_CODE_LENGTH = 20;
export const MAX_DESCRIPTION_LENGTH = 2_000;
export const MAX_NOTE_LENGTH = 500;
export const MAX_PROMO_CODE_INPUT_LENGTH = 40;
export const MAX_TIME_ZONE_LENGTH = 64;
/** `refundOrder.amountCents`: far above any order, below what an Int can hold. */
export const MAX_REFUND_CENTS = 10_000_000;

// C0 controls and DEL. Tab, line feed and carriage return are text in multi-line fields only.
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function hasForbiddenControlCharacters(value: string, multiline = false): boolean {
  return (multiline ? CONTROL_BUT_LINE_BREAKS : CONTROL).test(value);
}

export interface InputProblem {
  messageKey: MessageKey;
  params?: MessageParams;
}

/**
 * What is wrong with one string of an input, or null. Length first: a 1 MB string is refused
 * without scanning it. `id` strings get the ID bound; `multiline` free text may hold \t \n \r.
 */
export function stringProblem(value: string, kind: { id?: boolean; multiline?: boolean } = {}): InputProblem | null {
  const max = kind.id ? MAX_ID_LENGTH : MAX_STRING_LENGTH;
  if (value.length > max) return { messageKey: 'validation.tooLong', params: { max } };
  if (hasForbiddenControlCharacters(value, kind.multiline && !kind.id)) return { messageKey: 'validation.controlCharacters' };
  return null;
}

/** What is wrong with the length of one list of an input, or null. */
export function listProblem(length: number, max: number = DEFAULT_MAX_ITEMS): InputProblem | null {
  return length > max ? { messageKey: 'validation.tooMany', params: { max } } : null;
}
