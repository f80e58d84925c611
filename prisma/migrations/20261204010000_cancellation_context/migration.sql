-- Issue 13: the cancellation fast path's read (src/services/booking/booking-fast-path.ts) as a
-- function, as booking_context is for bookings: PostgreSQL keeps its plan per connection instead
-- of planning it on every cancellation. It only gathers what the rules of src/domain need.
CREATE OR REPLACE FUNCTION "cancellation_context"(p_booking uuid)
RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
  result json;
BEGIN
  SELECT json_build_object(
    'booking', json_build_object('id', bk."id", 'organizationId', bk."organizationId", 'sessionId', bk."sessionId",
                                 'beneficiaryId', bk."beneficiaryId", 'memberId', bk."memberId", 'bookedById', bk."bookedById",
                                 'entitlementId', bk."entitlementId", 'orderId', bk."orderId", 'status', bk."status",
                                 'rescheduledFromId', bk."rescheduledFromId", 'createdAt', bk."createdAt",
                                 'creditRestoredAt', bk."creditRestoredAt", 'attendanceAt', bk."attendanceAt",
                                 'paymentHoldUntil', bk."paymentHoldUntil"),
    'session', json_build_object('id', s."id", 'organizationId', s."organizationId", 'activityId', s."activityId",
                                 'venueId', s."venueId", 'startsAt', s."startsAt", 'changedAt', s."changedAt"),
    'activity', json_build_object('name', a."name", 'cancellationNoticeHours', a."cancellationNoticeHours", 'lateCancellation', a."lateCancellation"),
    'offerLateCancellation', (SELECT f."lateCancellation" FROM "Entitlement" e JOIN "Offer" f ON f."id" = e."offerId" WHERE e."id" = bk."entitlementId"),
    'venue', json_build_object('name', v."name", 'address', v."address", 'city', v."city", 'postalCode', v."postalCode"),
    'timeZone', o."timeZone"
  )
    INTO result
    FROM "Booking" bk
    JOIN "Session" s ON s."id" = bk."sessionId"
    JOIN "Activity" a ON a."id" = s."activityId"
    JOIN "Venue" v ON v."id" = s."venueId"
    JOIN "Organization" o ON o."id" = s."organizationId"
   WHERE bk."id" = p_booking;
  RETURN result;
END;
$$;
