-- Calendar feeds (issue 14, point 6).

-- A member's feed is named by a random id; its URL also carries an HMAC of that id under the
-- server's secret (src/auth/tokens.ts), so the database alone rebuilds no URL. Resetting the URL
-- replaces the id, and the old URL answers 404.
ALTER TABLE "Member" ADD COLUMN "calendarFeedId" UUID NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX "Member_calendarFeedId_key" ON "Member"("calendarFeedId");

-- A session's revision in the feeds (iCalendar SEQUENCE and LAST-MODIFIED), so calendar apps
-- replace what they hold. A trigger bumps it whatever code changes the session (cancelSession,
-- closures, timetable edits), only when what a calendar shows changes: seat counts do not.
ALTER TABLE "Session" ADD COLUMN "calendarSequence" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "calendarChangedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

CREATE FUNCTION "session_calendar_revision"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."calendarSequence" := OLD."calendarSequence" + 1;
  NEW."calendarChangedAt" := GREATEST(CURRENT_TIMESTAMP, OLD."calendarChangedAt");
  RETURN NEW;
END;
$$;

CREATE TRIGGER "Session_calendar_revision"
  BEFORE UPDATE OF "startsAt", "endsAt", "status", "venueId", "activityId", "coachId" ON "Session"
  FOR EACH ROW
  WHEN (OLD."startsAt" IS DISTINCT FROM NEW."startsAt" OR OLD."endsAt" IS DISTINCT FROM NEW."endsAt"
     OR OLD."status" IS DISTINCT FROM NEW."status" OR OLD."venueId" IS DISTINCT FROM NEW."venueId"
     OR OLD."activityId" IS DISTINCT FROM NEW."activityId" OR OLD."coachId" IS DISTINCT FROM NEW."coachId")
  EXECUTE FUNCTION "session_calendar_revision"();
