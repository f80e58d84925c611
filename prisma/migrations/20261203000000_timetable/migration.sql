-- Timetable (issue 12): weekly series of sessions over a term, kept with their RRULE so that staff
-- can change a series' future sessions at once; sessions remember the series they came from and
-- when staff last moved them (bookings made before may then be cancelled without loss).
ALTER TABLE "Session" ADD COLUMN "timetableId" UUID;
ALTER TABLE "Session" ADD COLUMN "changedAt" TIMESTAMPTZ(3);

CREATE TABLE "Timetable" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "activityId" UUID NOT NULL,
    "venueId" UUID NOT NULL,
    "coachId" UUID,
    "capacity" INTEGER NOT NULL,
    "priceCents" INTEGER,
    "rule" TEXT NOT NULL,
    "startTime" TEXT NOT NULL,
    "durationMinutes" INTEGER NOT NULL,
    "timeZone" TEXT NOT NULL,
    "startsOn" DATE NOT NULL,
    "endsOn" DATE NOT NULL,
    "skipDates" DATE[],
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Timetable_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Timetable_capacity_check" CHECK ("capacity" >= 0),
    CONSTRAINT "Timetable_duration_check" CHECK ("durationMinutes" > 0),
    CONSTRAINT "Timetable_range_check" CHECK ("endsOn" >= "startsOn"),
    CONSTRAINT "Timetable_startTime_check" CHECK ("startTime" ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$')
);

CREATE INDEX "Session_timetableId_startsAt_idx" ON "Session"("timetableId", "startsAt");
CREATE INDEX "Timetable_organizationId_startsOn_idx" ON "Timetable"("organizationId", "startsOn");

ALTER TABLE "Session" ADD CONSTRAINT "Session_timetableId_fkey" FOREIGN KEY ("timetableId") REFERENCES "Timetable"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Timetable" ADD CONSTRAINT "Timetable_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Timetable" ADD CONSTRAINT "Timetable_activityId_fkey" FOREIGN KEY ("activityId") REFERENCES "Activity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Timetable" ADD CONSTRAINT "Timetable_venueId_fkey" FOREIGN KEY ("venueId") REFERENCES "Venue"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Timetable" ADD CONSTRAINT "Timetable_coachId_fkey" FOREIGN KEY ("coachId") REFERENCES "Coach"("id") ON DELETE SET NULL ON UPDATE CASCADE;
