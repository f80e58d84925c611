import { ValidationError } from '../../domain/errors.js';
import { MAX_SESSION_FILTER_IDS } from '../../domain/input-limits.js';
import { builder } from '../builder.js';
import { assertIdsExist, decodeId, decodeIds, type NamedId } from '../common/ids.js';
import { bounds } from '../common/input-bounds.js';

export const SessionFilter = builder.inputType('SessionFilter', {
  description: 'Selects sessions. Every field given must match; `ids` or `organizationId` narrows the most.',
  fields: (t) => ({
    ids: t.idList({
      required: false,
      description: `Only these sessions (at most ${MAX_SESSION_FILTER_IDS}).`,
      ...bounds({ maxItems: MAX_SESSION_FILTER_IDS }),
    }),
    organizationId: t.id({ required: false, description: "Only this organization's sessions." }),
    venueId: t.id({ required: false, description: 'Only sessions at this venue.' }),
    activityId: t.id({ required: false, description: 'Only sessions of this activity.' }),
    from: t.field({ type: 'DateTime', required: false, description: 'Sessions starting at or after this instant.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Sessions starting before this instant.' }),
    onlyAvailable: t.boolean({ required: false, description: 'Only sessions with a seat left.' }),
  }),
});

export interface SessionFilterShape {
  ids?: readonly string[] | null;
  organizationId?: string | null;
  venueId?: string | null;
  activityId?: string | null;
  from?: Date | null;
  to?: Date | null;
  onlyAvailable?: boolean | null;
}

/** The filter with its global IDs decoded (not yet known to exist: `assertFilterIdsExist`). */
export interface DecodedSessionFilter {
  ids?: string[];
  organizationId?: string;
  venueId?: string;
  activityId?: string;
  from?: Date;
  to?: Date;
  onlyAvailable: boolean;
}

/** Decodes the `filter` argument: a malformed ID, or one of another type, is VALIDATION on its path. */
export function decodeSessionFilter(filter: SessionFilterShape): DecodedSessionFilter {
  if (filter.from && filter.to && filter.to.getTime() <= filter.from.getTime()) {
    throw new ValidationError([{ field: ['filter', 'to'], messageKey: 'validation.dateRange' }]);
  }
  return {
    ids: filter.ids ? decodeIds(filter.ids, 'Session', ['filter', 'ids']) : undefined,
    organizationId: filter.organizationId ? decodeId(filter.organizationId, 'Organization', ['filter', 'organizationId']) : undefined,
    venueId: filter.venueId ? decodeId(filter.venueId, 'Venue', ['filter', 'venueId']) : undefined,
    activityId: filter.activityId ? decodeId(filter.activityId, 'Activity', ['filter', 'activityId']) : undefined,
    from: filter.from ?? undefined,
    to: filter.to ?? undefined,
    onlyAvailable: filter.onlyAvailable ?? false,
  };
}

/**
 * NOT_FOUND (on `filter.ids.<n>`, `filter.venueId`…) when the filter names a session,
 * organization, venue or activity that does not exist. `selected`: sessions the filter already
 * selected. Each proves the IDs it matches, so a filter with an answer costs no more statement; an
 * empty answer costs one, whatever the number of IDs.
 */
export async function assertFilterIdsExist(filter: DecodedSessionFilter, selected: readonly { id: string }[]): Promise<void> {
  const named: NamedId[] = [];
  if (filter.ids) {
    const seen = new Set(selected.map((session) => session.id));
    filter.ids.forEach((id, index) => {
      if (!seen.has(id)) named.push({ typename: 'Session', id, field: ['filter', 'ids', String(index)] });
    });
  }
  // Every selected session matches all three, so one selected session proves them.
  if (selected.length === 0) {
    if (filter.organizationId) named.push({ typename: 'Organization', id: filter.organizationId, field: ['filter', 'organizationId'] });
    if (filter.venueId) named.push({ typename: 'Venue', id: filter.venueId, field: ['filter', 'venueId'] });
    if (filter.activityId) named.push({ typename: 'Activity', id: filter.activityId, field: ['filter', 'activityId'] });
  }
  await assertIdsExist(named);
}
