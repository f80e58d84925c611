// Great-circle distance between coordinates (SPEC §3: venues carry coordinates for the 15 km rules
// of 003/004). Pure functions; the haversine formula on a sphere of the Earth's mean radius, which
// is within 0.5 % of the ellipsoid at these distances: enough to decide "within 15 km".

/** A point as WGS 84 latitude and longitude, in degrees. */
export interface Coordinates {
  latitude: number;
  longitude: number;
}

/** IUGG mean Earth radius, in kilometres. */
export const EARTH_RADIUS_KM = 6371.0088;

const radians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance between two points, in kilometres (haversine). */
export function distanceKm(a: Coordinates, b: Coordinates): number {
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  // min() guards against rounding pushing h a hair above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The place nearest to `from`, with its distance; null when there is none. */
export function nearest<T extends Coordinates>(from: Coordinates, places: readonly T[]): { place: T; km: number } | null {
  let best: { place: T; km: number } | null = null;
  for (const place of places) {
    const km = distanceKm(from, place);
    if (!best || km < best.km) best = { place, km };
  }
  return best;
}

/** Whether a point is valid WGS 84 coordinates. */
export function validCoordinates(point: Coordinates): boolean {
  return Number.isFinite(point.latitude) && Number.isFinite(point.longitude) && Math.abs(point.latitude) <= 90 && Math.abs(point.longitude) <= 180;
}
