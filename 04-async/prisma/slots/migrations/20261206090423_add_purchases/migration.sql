-- CreateEnum
CREATE TYPE "purchase_status" AS ENUM ('running', 'completed', 'rejected', 'refunded', 'failed');

-- CreateEnum
CREATE TYPE "purchase_step_status" AS ENUM ('running', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "purchases" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "title_id" TEXT NOT NULL,
    "title_name" TEXT NOT NULL,
    "price" INTEGER NOT NULL,
    "status" "purchase_status" NOT NULL DEFAULT 'running',
    "reason" TEXT,
    "idempotency_key" TEXT,
    "trace_id" TEXT NOT NULL,
    "debited_at" TIMESTAMPTZ(3),
    "refunded_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "purchases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "purchase_steps" (
    "id" UUID NOT NULL,
    "purchase_id" UUID NOT NULL,
    "step" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status" "purchase_step_status" NOT NULL DEFAULT 'running',
    "detail" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "purchase_steps_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "purchases_user_id_idempotency_key_key" ON "purchases"("user_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "purchase_steps_purchase_id_step_attempt_key" ON "purchase_steps"("purchase_id", "step", "attempt");

-- AddForeignKey
ALTER TABLE "purchase_steps" ADD CONSTRAINT "purchase_steps_purchase_id_fkey" FOREIGN KEY ("purchase_id") REFERENCES "purchases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The reconciler's question every few minutes: which purchases are still running, oldest first.
-- Partial (Prisma's schema cannot say so; written here by hand): it holds only the running ones,
-- a handful, however many purchases have ended.
CREATE INDEX "purchases_running_created_at_idx" ON "purchases"("created_at") WHERE "status" = 'running';
