-- Issue 13: bookSession with a credit in one statement. The same steps, in the same lock order, as
-- the transaction of src/services/bookings.ts (bookSeat): the member row shared (an erasure cannot
-- interleave), the seat by compare-and-swap, the membership recorded and KEY SHARE locked, the
-- candidate credits locked in id order and the first that still fits (in the caller's credit
-- order) debited by a ledger entry (the trigger applies it, the CHECK refuses a negative balance),
-- the booking (the partial unique index refuses a second active one) and its confirmation email.
-- It answers the entitlement debited, or, before anything was written, 'member-gone' (the member
-- was erased: the caller's general path answers NOT_FOUND) or 'no-seat' (full, cancelled or
-- started: the caller reads the session to say which). These are answers, not exceptions: a lost
-- race for the last seats is the common refusal, and an error costs the pool its connection.
-- After the seat is taken, a refusal is an exception, so the atomic statement leaves nothing:
--   booking:on-waitlist   the beneficiary waits for this session (the general path ends the wait)
--   booking:no-credit     no candidate credit fits any more
CREATE FUNCTION "book_session_with_credit"(
  p_session uuid,
  p_beneficiary uuid,
  p_member uuid,
  p_organization uuid,
  p_starts_at timestamptz,
  p_candidates uuid[],
  p_now timestamptz,
  p_booking uuid,
  p_membership uuid,
  p_ledger uuid,
  p_email uuid,
  p_payload jsonb
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_email text;
  v_locale text;
  v_erased timestamptz;
  v_locked integer;
  v_entitlement uuid;
BEGIN
  SELECT "email", "locale", "erasedAt" INTO v_email, v_locale, v_erased FROM "Member" WHERE "id" = p_member FOR SHARE;
  IF NOT FOUND OR v_erased IS NOT NULL THEN
    RETURN 'member-gone';
  END IF;

  UPDATE "Session" SET "seatsTaken" = "seatsTaken" + 1
   WHERE "id" = p_session AND "status" = 'SCHEDULED' AND "startsAt" > p_now AND "seatsTaken" < "capacity";
  IF NOT FOUND THEN
    RETURN 'no-seat';
  END IF;

  INSERT INTO "Membership" ("id", "organizationId", "memberId", "role")
  VALUES (p_membership, p_organization, p_member, 'MEMBER') ON CONFLICT DO NOTHING;
  PERFORM 1 FROM "Membership" WHERE "memberId" = p_member AND "organizationId" = p_organization FOR KEY SHARE;

  IF EXISTS (SELECT 1 FROM "WaitlistEntry" WHERE "sessionId" = p_session AND "beneficiaryId" = p_beneficiary AND "status" = 'WAITING') THEN
    RAISE EXCEPTION 'booking:on-waitlist';
  END IF;

  SELECT count(*) INTO v_locked FROM (SELECT 1 FROM "Entitlement" WHERE "id" = ANY(p_candidates) ORDER BY "id" FOR UPDATE) locked;
  -- Read again under the locks: a concurrent booking may have emptied a candidate meanwhile.
  SELECT e."id" INTO v_entitlement
    FROM unnest(p_candidates) WITH ORDINALITY AS c("id", "rank")
    JOIN "Entitlement" e ON e."id" = c."id"
   WHERE e."status" = 'ACTIVE' AND e."creditsRemaining" > 0 AND p_now < e."validUntil"
     AND p_starts_at >= e."validFrom" AND p_starts_at < e."validUntil"
   ORDER BY c."rank"
   LIMIT 1;
  IF v_entitlement IS NULL THEN
    RAISE EXCEPTION 'booking:no-credit';
  END IF;

  INSERT INTO "Booking" ("id", "organizationId", "sessionId", "beneficiaryId", "memberId", "entitlementId", "status", "createdAt")
  VALUES (p_booking, p_organization, p_session, p_beneficiary, p_member, v_entitlement, 'CONFIRMED', p_now);
  INSERT INTO "CreditLedgerEntry" ("id", "entitlementId", "delta", "reason", "bookingId", "createdAt")
  VALUES (p_ledger, v_entitlement, -1, 'DEBIT', p_booking, p_now);
  INSERT INTO "OutboxEmail" ("id", "organizationId", "toAddress", "locale", "template", "payload", "dedupeKey", "nextAttemptAt", "createdAt")
  VALUES (p_email, p_organization, v_email, v_locale, 'booking-confirmed', p_payload, 'booking-confirmed:' || p_booking, p_now, p_now)
  ON CONFLICT DO NOTHING;
  RETURN v_entitlement::text;
END
$$;
