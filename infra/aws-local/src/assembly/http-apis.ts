/*
 * HTTP APIs, from `AWS::ApiGatewayV2::Api` with its one Stage, its Routes and their Lambda proxy
 * Integrations (payload format 2.0): each route's key and the function it invokes.
 */
import { isRecord } from '../is-record.ts';
import {
  type HttpApiRoute,
  LocalAwsError,
  type LocalFunction,
  type LocalHttpApi,
} from '../model.ts';
import type { CfnResourceEntry } from './intrinsics.ts';
import { findFunction, type TemplateReader } from './template-reader.ts';

/** API Gateway's default (and maximum) integration timeout for HTTP APIs. */
const DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000;

export function httpApi(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
  functions: LocalFunction[],
): LocalHttpApi {
  const { cfn } = reader;
  const props = resource.Properties ?? {};
  reader.refuse(logicalId, props, {
    Body: 'an API imported from an OpenAPI document is not served',
    BodyS3Location: 'an API imported from an OpenAPI document is not served',
    Target: 'quick-create APIs are not served: declare routes and integrations',
    CorsConfiguration: 'CORS is not emulated',
  });
  const protocol = cfn.string(props.ProtocolType, { logicalId, property: 'ProtocolType' });
  if (protocol !== 'HTTP') {
    throw new LocalAwsError(
      `API ${logicalId}: protocol ${protocol} is not served (only HTTP APIs)`,
      logicalId,
      'ProtocolType',
    );
  }
  const apiId = reader.identity(logicalId, resource).attributes.Ref;
  const belongs = ([id, r]: [string, CfnResourceEntry]) =>
    cfn.string(r.Properties?.ApiId, { logicalId: id, property: 'ApiId' }) === apiId;
  const ofThisApi = (type: string) =>
    reader.resources.filter((entry) => entry[1].Type === type && belongs(entry));
  const stages = ofThisApi('AWS::ApiGatewayV2::Stage');
  const [stage, ...moreStages] = stages;
  if (stage === undefined || moreStages.length > 0) {
    throw new LocalAwsError(
      `API ${logicalId} has ${stages.length} stages; the local runtime serves an API with exactly one`,
      logicalId,
    );
  }
  return {
    logicalId,
    apiId: apiId ?? logicalId.toLowerCase(),
    stageName: cfn.string(stage[1].Properties?.StageName, {
      logicalId: stage[0],
      property: 'StageName',
    }),
    routes: ofThisApi('AWS::ApiGatewayV2::Route').map(([id, r]) => route(reader, id, r, functions)),
    ...throttling(reader, stage[0], stage[1]),
  };
}

function throttling(
  reader: TemplateReader,
  logicalId: string,
  stage: CfnResourceEntry,
): Pick<LocalHttpApi, 'throttling'> {
  const props = stage.Properties ?? {};
  reader.refuse(logicalId, props, { RouteSettings: 'per-route settings are not emulated' });
  const settings = reader.cfn.resolve(props.DefaultRouteSettings, {
    logicalId,
    property: 'DefaultRouteSettings',
  });
  if (!isRecord(settings)) return {};
  const { ThrottlingBurstLimit: burst, ThrottlingRateLimit: rate } = settings;
  if (burst === undefined && rate === undefined) return {};
  // An unset half keeps the account's default (5,000 burst, 10,000 requests per second).
  return { throttling: { burstLimit: Number(burst ?? 5000), rateLimit: Number(rate ?? 10_000) } };
}

function route(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
  functions: LocalFunction[],
): HttpApiRoute {
  const { cfn } = reader;
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  reader.refuse(logicalId, props, {
    AuthorizerId:
      'HTTP API authorizers are not emulated (the course’s services verify tokens themselves)',
  });
  const authorization = cfn.resolve(props.AuthorizationType, at('AuthorizationType')) ?? 'NONE';
  if (authorization !== 'NONE') {
    throw new LocalAwsError(
      `route ${logicalId}: AuthorizationType ${String(authorization)} is not emulated`,
      logicalId,
      'AuthorizationType',
    );
  }
  const target = cfn.string(props.Target, at('Target'));
  const integrationId = target.replace(/^integrations\//, '');
  const integration = reader.resources.find(
    ([id, r]) => id === integrationId && r.Type === 'AWS::ApiGatewayV2::Integration',
  );
  if (integration === undefined) {
    throw new LocalAwsError(
      `route ${logicalId}: its Target ${target} is not an integration of this stack`,
      logicalId,
      'Target',
    );
  }
  const [id, r] = integration;
  const iprops = r.Properties ?? {};
  const iat = (property: string) => ({ logicalId: id, property });
  const type = cfn.string(iprops.IntegrationType, iat('IntegrationType'));
  if (type !== 'AWS_PROXY') {
    throw new LocalAwsError(
      `integration ${id}: type ${type} is not served (only Lambda proxy integrations)`,
      id,
      'IntegrationType',
    );
  }
  const format = cfn.string(iprops.PayloadFormatVersion ?? '2.0', iat('PayloadFormatVersion'));
  if (format !== '2.0') {
    throw new LocalAwsError(
      `integration ${id}: payload format ${format} is not served (only 2.0)`,
      id,
      'PayloadFormatVersion',
    );
  }
  const uri = cfn.string(iprops.IntegrationUri, iat('IntegrationUri'));
  // A function ARN, or API Gateway's form arn:aws:apigateway:…:lambda:path/2015-03-31/functions/<arn>/invocations.
  const functionRef = uri.match(/\/functions\/(.+)\/invocations$/)?.[1] ?? uri;
  return {
    logicalId,
    routeKey: cfn.string(props.RouteKey, at('RouteKey')),
    functionName: findFunction(functions, functionRef, iat('IntegrationUri')).name,
    integrationTimeoutMs: reader.number(
      iprops.TimeoutInMillis,
      DEFAULT_INTEGRATION_TIMEOUT_MS,
      iat('TimeoutInMillis'),
    ),
  };
}
