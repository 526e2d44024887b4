/*
 * The titles shop behind the HTTP API: the titles (public), starting a purchase and following it
 * (the caller's own). A thin adapter over the shop's use cases (../shop.ts); the saga itself runs
 * in Step Functions, whose execution this function starts.
 */
import { httpFunctionWith } from '@course/serverless/slots/environment';
import { loadPurchasesFunctionConfig, STAGE } from '../../slots/config.ts';
import { httpSlotsEnvironment } from '../../slots/environment.ts';
import { sagaSfnClient, stepFunctionsSagaStarter } from '../saga-starter.ts';
import {
  listTitles,
  purchaseLocation,
  readPurchaseOf,
  type ShopDeps,
  startPurchase,
} from '../shop.ts';

/** What one execution environment builds at init: the slots environment and the saga's client. */
function purchasesEnvironment() {
  const config = loadPurchasesFunctionConfig();
  return {
    ...httpSlotsEnvironment(config),
    saga: stepFunctionsSagaStarter(sagaSfnClient(), config.PURCHASE_SAGA_ARN),
  };
}

export const handler = httpFunctionWith(
  purchasesEnvironment,
  ({ db, saga, player, withSlots }) => ({
    'GET /api/slots/titles': () => ({ status: 200, body: listTitles() }),
    'POST /api/slots/purchases': async (request) => {
      const caller = await player(request);
      const deps: ShopDeps = {
        db,
        saga,
        // A first touch opens the wallet; withSlots publishes its WalletOpened.
        openWallet: async (who) => {
          await withSlots(request, (slots) => slots.wallet(who));
        },
      };
      const { purchase, replayed } = await startPurchase(deps, caller, {
        body: request.body,
        idempotencyKey: request.header('idempotency-key'),
        traceId: request.requestId,
      });
      const headers: Record<string, string> = { location: purchaseLocation(purchase.id) };
      if (replayed) headers['idempotent-replayed'] = 'true';
      return { status: 202, body: purchase, headers };
    },
    'GET /api/slots/purchases/{id}': async (request) => {
      const caller = await player(request);
      const id = request.path.slice(purchaseLocation('').length);
      return { status: 200, body: await readPurchaseOf(db, caller, id) };
    },
  }),
  { stage: STAGE },
);
