-- CreateEnum
CREATE TYPE "title_grant_status" AS ENUM ('granted', 'cancelled');

-- CreateTable
CREATE TABLE "title_grants" (
    "purchase_id" UUID NOT NULL,
    "user_id" UUID,
    "title_id" TEXT,
    "status" "title_grant_status" NOT NULL,
    "granted_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "title_grants_pkey" PRIMARY KEY ("purchase_id")
);

-- CreateIndex
CREATE INDEX "title_grants_user_id_granted_at_idx" ON "title_grants"("user_id", "granted_at" DESC);

-- A player holds a title at most once: of two purchases of the same title, the database lets only
-- one be granted, even when both grants run at the same moment. Written by hand: Prisma's schema
-- has no partial indexes (outside a preview feature), so schema.prisma cannot say it.
CREATE UNIQUE INDEX "title_grants_one_granted_title_per_user" ON "title_grants"("user_id", "title_id") WHERE "status" = 'granted';
