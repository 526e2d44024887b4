-- CreateTable
CREATE TABLE "outbox" (
    "position" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("position")
);

-- CreateTable
CREATE TABLE "leaderboard_entries" (
    "player_id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "balance" INTEGER NOT NULL,
    "sequence" BIGINT NOT NULL,
    "event_time" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "leaderboard_entries_pkey" PRIMARY KEY ("player_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_id_key" ON "outbox"("id");

-- CreateIndex
CREATE INDEX "outbox_published_at_position_idx" ON "outbox"("published_at", "position");

-- CreateIndex
CREATE INDEX "leaderboard_entries_balance_username_idx" ON "leaderboard_entries"("balance" DESC, "username");
