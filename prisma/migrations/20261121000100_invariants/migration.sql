-- Invariants that Prisma's schema language cannot express. The database, not the application,
-- is what guarantees them: CHECK constraints, partial unique indexes and the credit ledger's
-- trigger. The drift test allows exactly these kinds of objects on top of schema.prisma.

-- ─── People ───────────────────────────────────────────────────────────────────────────────────
-- Emails are stored lowercased, so the unique index on "email" ignores case.
ALTER TABLE "Member" ADD CONSTRAINT "Member_email_lowercase_check" CHECK ("email" = lower("email"));

ALTER TABLE "Organization"
  ADD CONSTRAINT "Organization_policy_values_check" CHECK (
    "waitlistClaimDeadlineHours" >= 0 AND "waitlistOfferWindowMinutes" > 0 AND "paymentGraceDays" >= 0
    AND "terminationNoticeDays" >= 0 AND "maxPauseMonthsPerYear" >= 0 AND "withdrawalDays" >= 0
    AND "creditNoteValidityDays" > 0 AND "lastInvoiceNumber" >= 0
  );

-- ─── Catalogue ────────────────────────────────────────────────────────────────────────────────
ALTER TABLE "Activity"
  ADD CONSTRAINT "Activity_ages_check" CHECK (
    ("minAgeMonths" IS NULL OR "minAgeMonths" >= 0)
    AND ("maxAgeMonths" IS NULL OR "maxAgeMonths" >= 0)
    AND ("minAgeMonths" IS NULL OR "maxAgeMonths" IS NULL OR "minAgeMonths" <= "maxAgeMonths")
  ),
  ADD CONSTRAINT "Activity_cancellationNoticeHours_check" CHECK ("cancellationNoticeHours" >= 0);

-- Seats: never more taken than the capacity (seats held for the waitlist count as taken).
ALTER TABLE "Session"
  ADD CONSTRAINT "Session_times_check" CHECK ("endsAt" > "startsAt"),
  ADD CONSTRAINT "Session_seats_check" CHECK (
    "capacity" >= 0 AND "seatsTaken" >= 0 AND "seatsTaken" <= "capacity"
  ),
  ADD CONSTRAINT "Session_waitlistLength_check" CHECK ("waitlistLength" >= 0),
  ADD CONSTRAINT "Session_priceCents_check" CHECK ("priceCents" IS NULL OR "priceCents" >= 0);

ALTER TABLE "Offer"
  ADD CONSTRAINT "Offer_amounts_check" CHECK (
    "priceCents" >= 0 AND "credits" >= 0 AND ("validityDays" IS NULL OR "validityDays" > 0)
    AND ("rolloverCapMultiplier" IS NULL OR "rolloverCapMultiplier" >= 1)
    AND "rolloverPeriods" >= 0 AND "commitmentPeriods" >= 0
  ),
  ADD CONSTRAINT "Offer_subscription_period_check" CHECK ("kind" <> 'SUBSCRIPTION' OR "period" IS NOT NULL);

-- Promo codes: exactly one kind of discount, stored uppercased, never redeemed past the limit.
ALTER TABLE "PromoCode"
  ADD CONSTRAINT "PromoCode_discount_check" CHECK (
    ("percentOff" IS NOT NULL AND "percentOff" BETWEEN 1 AND 100 AND "amountOffCents" IS NULL)
    OR ("amountOffCents" IS NOT NULL AND "amountOffCents" > 0 AND "percentOff" IS NULL)
  ),
  ADD CONSTRAINT "PromoCode_code_uppercase_check" CHECK ("code" = upper("code")),
  ADD CONSTRAINT "PromoCode_redemptions_check" CHECK (
    "redemptionCount" >= 0 AND ("maxRedemptions" IS NULL OR "redemptionCount" <= "maxRedemptions")
  );

-- ─── Money ────────────────────────────────────────────────────────────────────────────────────
ALTER TABLE "Order"
  ADD CONSTRAINT "Order_amounts_check" CHECK (
    "subtotalCents" >= 0 AND "discountCents" >= 0 AND "discountCents" <= "subtotalCents"
    AND "totalCents" = "subtotalCents" - "discountCents"
    AND "paidCents" >= 0 AND "paidCents" <= "totalCents"
  ),
  ADD CONSTRAINT "Order_invoiceNumber_check" CHECK ("invoiceNumber" IS NULL OR "invoiceNumber" > 0);

ALTER TABLE "Payment"
  ADD CONSTRAINT "Payment_amounts_check" CHECK (
    "amountCents" > 0 AND "refundedCents" >= 0 AND "refundedCents" <= "amountCents"
  ),
  ADD CONSTRAINT "Payment_credit_note_check" CHECK (("method" = 'CREDIT_NOTE') = ("creditNoteId" IS NOT NULL));

ALTER TABLE "Refund" ADD CONSTRAINT "Refund_amountCents_check" CHECK ("amountCents" > 0);

ALTER TABLE "CreditNote"
  ADD CONSTRAINT "CreditNote_amounts_check" CHECK (
    "amountCents" > 0 AND "remainingCents" >= 0 AND "remainingCents" <= "amountCents"
  );

-- ─── Credits ──────────────────────────────────────────────────────────────────────────────────
-- The balance is the sum of the ledger, maintained by the trigger below, and never negative.
ALTER TABLE "Entitlement"
  ADD CONSTRAINT "Entitlement_creditsRemaining_check" CHECK ("creditsRemaining" >= 0),
  ADD CONSTRAINT "Entitlement_validity_check" CHECK ("validUntil" > "validFrom");

ALTER TABLE "CreditLedgerEntry" ADD CONSTRAINT "CreditLedgerEntry_delta_check" CHECK ("delta" <> 0);

ALTER TABLE "ValidityExtension"
  ADD CONSTRAINT "ValidityExtension_later_check" CHECK ("newValidUntil" > "previousValidUntil");

-- Each ledger entry moves its entitlement's balance; the row lock this UPDATE takes serialises
-- concurrent changes to one entitlement, and the CHECK above rejects any that would overdraw it.
CREATE FUNCTION "credit_ledger_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Entitlement"
     SET "creditsRemaining" = "creditsRemaining" + NEW."delta"
   WHERE "id" = NEW."entitlementId";
  RETURN NEW;
END;
$$;

CREATE TRIGGER "CreditLedgerEntry_apply"
  AFTER INSERT ON "CreditLedgerEntry"
  FOR EACH ROW EXECUTE FUNCTION "credit_ledger_apply"();

-- The ledger is append-only: history is corrected with a new entry, never rewritten.
CREATE FUNCTION "credit_ledger_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'CreditLedgerEntry is append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER "CreditLedgerEntry_append_only"
  BEFORE UPDATE OR DELETE ON "CreditLedgerEntry"
  FOR EACH ROW EXECUTE FUNCTION "credit_ledger_append_only"();

-- The balance column may only move through the ledger.
CREATE FUNCTION "entitlement_balance_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."creditsRemaining" IS DISTINCT FROM OLD."creditsRemaining" AND pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'Entitlement.creditsRemaining changes only through CreditLedgerEntry' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "Entitlement_balance_guard"
  BEFORE UPDATE OF "creditsRemaining" ON "Entitlement"
  FOR EACH ROW EXECUTE FUNCTION "entitlement_balance_guard"();

CREATE FUNCTION "entitlement_starts_empty"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."creditsRemaining" <> 0 THEN
    RAISE EXCEPTION 'An entitlement starts with no credits; grant them through CreditLedgerEntry' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "Entitlement_starts_empty"
  BEFORE INSERT ON "Entitlement"
  FOR EACH ROW EXECUTE FUNCTION "entitlement_starts_empty"();

-- ─── Bookings and waitlist ────────────────────────────────────────────────────────────────────
-- One active booking per beneficiary per session; a cancelled one frees the slot again.
CREATE UNIQUE INDEX "Booking_active_per_session_key" ON "Booking"("sessionId", "beneficiaryId")
  WHERE "status" IN ('CONFIRMED', 'ATTENDED', 'NO_SHOW');

-- One place in line per beneficiary per session.
CREATE UNIQUE INDEX "WaitlistEntry_waiting_per_session_key" ON "WaitlistEntry"("sessionId", "beneficiaryId")
  WHERE "status" = 'WAITING';

ALTER TABLE "SubscriptionPause" ADD CONSTRAINT "SubscriptionPause_times_check" CHECK ("endsAt" > "startsAt");

ALTER TABLE "Subscription"
  ADD CONSTRAINT "Subscription_period_check" CHECK ("currentPeriodEnd" > "currentPeriodStart" AND "currentPeriodIndex" >= 0);

ALTER TABLE "OutboxEmail" ADD CONSTRAINT "OutboxEmail_attempts_check" CHECK ("attempts" >= 0);
ALTER TABLE "DueJob" ADD CONSTRAINT "DueJob_attempts_check" CHECK ("attempts" >= 0);
