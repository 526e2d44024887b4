// One logger shape for the runner and the migrations alike; a pino logger fits it as is.
export { type Logger, silentLogger } from '@course/migrate';
