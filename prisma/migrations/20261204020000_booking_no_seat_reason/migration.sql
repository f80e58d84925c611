-- Issue 13: a booking refused for want of a seat is answered 'no-seat {"status": …, "startsAt": …}',
-- the session as the refusal found it, so that the caller tells full from cancelled or started
-- without one more statement (every loser of a race paid one). Otherwise as in
-- 20261203040000_booking_fast_path, restated whole: PL/pgSQL replaces a function's body, not a part.
CREATE OR REPLACE FUNCTION "book_session_with_credit"(
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
    -- What the caller's rules need to say why (full, cancelled or started), read here rather than
    -- by one more statement of every loser of a race.
    RETURN 'no-seat ' || (SELECT json_build_object('status', "status", 'startsAt', "startsAt")::text FROM "Session" WHERE "id" = p_session);
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
