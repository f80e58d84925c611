import { Issues, isValidSlug, isValidTimeZone } from './validation.js';

export interface OrganizationInput {
  name: string;
  slug: string;
  timeZone?: string | null;
}

export function validateOrganization(input: OrganizationInput): void {
  new Issues()
    .text('name', input.name)
    .when(!isValidSlug(input.slug), 'slug', 'validation.slug')
    .when(input.timeZone != null && !isValidTimeZone(input.timeZone), 'timeZone', 'validation.timeZone')
    .throwIfAny();
}
