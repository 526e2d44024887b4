-- CreateTable
CREATE TABLE "announcements" (
    "event_id" UUID NOT NULL,
    "post_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "announcements_pkey" PRIMARY KEY ("event_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "announcements_post_id_key" ON "announcements"("post_id");

-- AddForeignKey
ALTER TABLE "announcements" ADD CONSTRAINT "announcements_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "posts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
