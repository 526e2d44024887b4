-- CreateTable
CREATE TABLE "wallets" (
    "user_id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "balance" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "wallets_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "spins" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "bet" INTEGER NOT NULL,
    "payout" INTEGER NOT NULL,
    "reels" TEXT[],
    "balance_after" INTEGER NOT NULL,
    "idempotency_key" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "spins_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "wallets_balance_idx" ON "wallets"("balance" DESC);

-- CreateIndex
CREATE INDEX "spins_user_id_created_at_idx" ON "spins"("user_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "spins_user_id_idempotency_key_key" ON "spins"("user_id", "idempotency_key");

-- Added by hand: Prisma's schema language has no CHECK constraints. Whatever the code does,
-- the database itself refuses a negative wallet balance.
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_balance_not_negative" CHECK ("balance" >= 0);
