-- Issue 13: booking_context also says whether the session was full when it was read, so that a
-- booking refused for want of a seat (most of a race's losers) is answered after this one read,
-- without the call that would take the seat and, before refusing, lock the member's row in a
-- transaction of its own. The seat itself is still taken by book_session_with_credit's UPDATE, in
-- one statement: this only refuses earlier what that UPDATE would refuse. Otherwise as in
-- 20261204000000_booking_context, restated whole.
CREATE OR REPLACE FUNCTION "booking_context"(p_session uuid, p_beneficiary uuid)
RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
  result json;
BEGIN
  SELECT json_build_object(
    'session', json_build_object('id', s."id", 'organizationId', s."organizationId", 'activityId', s."activityId",
                                 'venueId', s."venueId", 'startsAt', s."startsAt", 'status', s."status",
                                 'full', s."seatsTaken" >= s."capacity"),
    'activity', json_build_object('name', a."name", 'audience', a."audience", 'minAgeMonths', a."minAgeMonths", 'maxAgeMonths', a."maxAgeMonths"),
    'venue', json_build_object('name', v."name", 'address', v."address", 'city', v."city", 'postalCode', v."postalCode"),
    'timeZone', o."timeZone",
    'beneficiary', json_build_object('memberId', b."memberId", 'firstName', b."firstName", 'birthDate', b."birthDate",
                                     'gone', b."erasedAt" IS NOT NULL OR b."removedAt" IS NOT NULL),
    -- An endpoint waits for booking.created: the general path writes the event with the booking.
    'webhooks', EXISTS (SELECT 1 FROM "WebhookEndpoint" w WHERE w."organizationId" = s."organizationId" AND w."enabled"
                                                           AND w."deletedAt" IS NULL AND 'booking.created' = ANY (w."events")),
    -- The predicate of the partial unique index "Booking_active_per_session_key", word for word, so
    -- that this is one index lookup however many bookings the beneficiary has made before.
    'booked', EXISTS (SELECT 1 FROM "Booking" x WHERE x."sessionId" = s."id" AND x."beneficiaryId" = b."id"
                                                  AND x."status" IN ('CONFIRMED', 'ATTENDED', 'NO_SHOW', 'PENDING_PAYMENT')),
    'lots', COALESCE((
      SELECT json_agg(json_build_object(
               'id', e."id", 'beneficiaryId', e."beneficiaryId", 'organizationId', e."organizationId", 'status', e."status",
               'validFrom', e."validFrom", 'validUntil', e."validUntil", 'creditsRemaining', e."creditsRemaining",
               'rolloverCount', e."rolloverCount",
               'activityIds', ARRAY(SELECT oa."activityId" FROM "OfferActivity" oa WHERE oa."offerId" = e."offerId"),
               'venueIds', ARRAY(SELECT ov."venueId" FROM "OfferVenue" ov WHERE ov."offerId" = e."offerId"),
               'suspended', EXISTS (SELECT 1 FROM "Subscription" u WHERE u."id" = e."subscriptionId" AND u."status" = 'SUSPENDED')))
        FROM "Entitlement" e
       WHERE e."beneficiaryId" = b."id" AND e."organizationId" = s."organizationId"
         AND e."status" = 'ACTIVE' AND e."creditsRemaining" > 0), '[]'::json)
  )
    INTO result
    FROM "Session" s
    JOIN "Activity" a ON a."id" = s."activityId"
    JOIN "Venue" v ON v."id" = s."venueId"
    JOIN "Organization" o ON o."id" = s."organizationId"
    JOIN "Beneficiary" b ON b."id" = p_beneficiary
   WHERE s."id" = p_session;
  RETURN result;
END;
$$;
