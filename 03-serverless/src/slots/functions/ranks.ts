// Placeholder until the slots functions land: the CDK app needs an entry to bundle.
export const handler = async () => ({ statusCode: 503 });
