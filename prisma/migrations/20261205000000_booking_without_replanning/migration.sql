-- Issue 13: what PostgreSQL's profile of a booking showed it doing besides the booking itself.
--
-- 1. A BEFORE UPDATE row trigger makes PostgreSQL lock and fetch the row once more before every
--    update of its table, whatever columns the trigger is restricted to and whatever its WHEN
--    says: every seat taken or freed (UPDATE "Session" SET "seatsTaken") paid for the calendar
--    revision's trigger, which never fires for seats. As AFTER triggers, their WHEN is evaluated
--    on the updated row and nothing else is done when it is false.
--
--    The calendar revision is now a second update of the session, in the same statement's
--    transaction, only when what a calendar shows changed.
CREATE OR REPLACE FUNCTION "session_calendar_revision"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Sets neither of the columns this trigger watches, so it does not fire again.
  UPDATE "Session"
     SET "calendarSequence" = "calendarSequence" + 1,
         "calendarChangedAt" = GREATEST(CURRENT_TIMESTAMP, "calendarChangedAt")
   WHERE "id" = NEW."id";
  RETURN NULL;
END;
$$;

DROP TRIGGER "Session_calendar_revision" ON "Session";
CREATE TRIGGER "Session_calendar_revision"
  AFTER UPDATE OF "startsAt", "endsAt", "status", "venueId", "activityId", "coachId" ON "Session"
  FOR EACH ROW
  WHEN (OLD."startsAt" IS DISTINCT FROM NEW."startsAt" OR OLD."endsAt" IS DISTINCT FROM NEW."endsAt"
     OR OLD."status" IS DISTINCT FROM NEW."status" OR OLD."venueId" IS DISTINCT FROM NEW."venueId"
     OR OLD."activityId" IS DISTINCT FROM NEW."activityId" OR OLD."coachId" IS DISTINCT FROM NEW."coachId")
  EXECUTE FUNCTION "session_calendar_revision"();

--    The balance guard likewise. An AFTER trigger's WHEN is evaluated as the row is updated, at the
--    updating statement's depth: 0 for a statement of the application, 1 for the ledger's own
--    update (credit_ledger_apply, a trigger). Only the first is queued, and the function raises
--    as before (an AFTER row trigger that raises aborts the statement).
DROP TRIGGER "Entitlement_balance_guard" ON "Entitlement";
CREATE TRIGGER "Entitlement_balance_guard"
  AFTER UPDATE OF "creditsRemaining" ON "Entitlement"
  FOR EACH ROW
  WHEN (OLD."creditsRemaining" IS DISTINCT FROM NEW."creditsRemaining" AND pg_trigger_depth() = 0)
  EXECUTE FUNCTION "entitlement_balance_guard"();

-- 2. PL/pgSQL keeps a statement's generic plan only when it costs no more than planning it for
--    each call's values. The two statements over the array of candidate credits never qualified
--    (a generic plan assumes ten elements, and for the choice it scans every active entitlement),
--    so both were planned again on every booking. They are now a loop of primary-key lookups,
--    whose plans are kept: the candidates locked in id order (the lock order of every path), then
--    the first that still fits, in the caller's order. Otherwise as in
--    20261204020000_booking_no_seat_reason, restated whole: PL/pgSQL replaces a function's body,
--    not a part.
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
  v_entitlement uuid;
  v_by_id uuid[] := p_candidates;
  v_id uuid;
  j integer;
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

  -- The candidates in id order (an insertion sort: a member has a handful of lots at most).
  FOR i IN 2..coalesce(cardinality(v_by_id), 0) LOOP
    v_id := v_by_id[i];
    j := i - 1;
    WHILE j >= 1 AND v_by_id[j] > v_id LOOP
      v_by_id[j + 1] := v_by_id[j];
      j := j - 1;
    END LOOP;
    v_by_id[j + 1] := v_id;
  END LOOP;
  FOREACH v_id IN ARRAY coalesce(v_by_id, '{}') LOOP
    PERFORM 1 FROM "Entitlement" WHERE "id" = v_id FOR UPDATE;
  END LOOP;
  -- Read again under the locks: a concurrent booking may have emptied a candidate meanwhile.
  FOREACH v_id IN ARRAY coalesce(p_candidates, '{}') LOOP
    SELECT "id" INTO v_entitlement FROM "Entitlement"
     WHERE "id" = v_id AND "status" = 'ACTIVE' AND "creditsRemaining" > 0 AND p_now < "validUntil"
       AND p_starts_at >= "validFrom" AND p_starts_at < "validUntil";
    EXIT WHEN FOUND;
  END LOOP;
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
