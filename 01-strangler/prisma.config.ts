import { defineConfig } from 'prisma/config';

// Read by the Prisma CLI only. The app itself gets DATABASE_URL through its parsed config.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
