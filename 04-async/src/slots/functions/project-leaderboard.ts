/*
 * LeaderboardProjectorFunction: the leaderboard queue's event source mapping calls it with up to
 * ten events; each is applied to the leaderboard read model (see ../projector.ts).
 */
import { loadFunctionConfig } from '../config.ts';
import { slotsEnvironment } from '../environment.ts';
import { leaderboardProjector } from '../projector.ts';

export const handler = leaderboardProjector(slotsEnvironment(loadFunctionConfig()));
