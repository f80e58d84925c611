import { ValidationError } from '../../domain/errors.js';
import { MAX_SESSION_FILTER_IDS } from '../../domain/input-limits.js';
import { builder } from '../builder.js';
import { decodeId, decodeIds } from '../common/ids.js';
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

/** The filter with its global IDs decoded. Unknown IDs select nothing; they are not errors. */
export interface DecodedSessionFilter {
  ids?: string[];
  organizationId?: string;
  venueId?: string;
  activityId?: string;
  from?: Date;
  to?: Date;
  onlyAvailable: boolean;
}

export function decodeSessionFilter(filter: SessionFilterShape): DecodedSessionFilter {
  if (filter.from && filter.to && filter.to.getTime() <= filter.from.getTime()) {
    throw new ValidationError([{ field: ['filter', 'to'], messageKey: 'validation.dateRange' }]);
  }
  return {
    ids: filter.ids ? decodeIds(filter.ids, 'Session', 'ids') : undefined,
    organizationId: filter.organizationId ? decodeId(filter.organizationId, 'Organization', 'organizationId') : undefined,
    venueId: filter.venueId ? decodeId(filter.venueId, 'Venue', 'venueId') : undefined,
    activityId: filter.activityId ? decodeId(filter.activityId, 'Activity', 'activityId') : undefined,
    from: filter.from ?? undefined,
    to: filter.to ?? undefined,
    onlyAvailable: filter.onlyAvailable ?? false,
  };
}
