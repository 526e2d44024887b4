-- DropIndex
DROP INDEX "posts_thread_id_created_at_idx";

-- CreateIndex
CREATE INDEX "posts_thread_id_created_at_id_idx" ON "posts"("thread_id", "created_at", "id");
