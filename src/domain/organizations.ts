import { MAX_NAME_LENGTH } from './input-limits.js';
import { Issues, isValidSlug, isValidTimeZone } from './validation.js';

export interface OrganizationInput {
  name: string;
  slug: string;
  timeZone?: string | null;
}

export function validateOrganization(input: OrganizationInput): void {
  new Issues()
    .text('name', input.name, { max: MAX_NAME_LENGTH })
    .when(!isValidSlug(input.slug), 'slug', 'validation.slug')
    .when(input.timeZone != null && !isValidTimeZone(input.timeZone), 'timeZone', 'validation.timeZone')
    .throwIfAny();
}
