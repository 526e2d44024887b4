// The users module as other packages see it: stage 02's users service is built from these
// routes, over a database of its own.
export { isUniqueViolation } from '../prisma-errors.ts';
export { registrationSchema, usernameSchema } from './domain.ts';
export { type UsersDeps, usersRoutes } from './routes.ts';
export type { StoredUser, UsersStore } from './store.ts';
