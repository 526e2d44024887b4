// Placeholder until stage 03's forum lands: the CDK app needs an entry to bundle.
export {};
